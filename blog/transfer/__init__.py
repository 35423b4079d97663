"""Moving a blog in and out: WordPress (WXR) export and import, the contact messages as CSV."""
