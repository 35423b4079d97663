"""The site's header navigation: an ordered list of pages (and, later, custom links) kept in nav_items."""
