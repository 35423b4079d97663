"""Author pages: an author's name, bio and listed posts at /authors/<slug>, and the slugs that name them."""
