"""The site's header navigation: an ordered list of pages and custom links kept in nav_items."""
