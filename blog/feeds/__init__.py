"""Being found: Atom feeds, the sitemap and robots.txt."""
