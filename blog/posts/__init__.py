"""What readers see: the home page, archive, articles, tags and months."""
