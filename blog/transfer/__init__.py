"""Moving a blog in and out: WordPress and Blogger exports read and imported, our own WXR written."""
