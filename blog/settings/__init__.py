"""The dashboard's settings page, the navigation's custom links, the log of changes, and the theme stylesheet."""
