"""Reader comments: posting, threads, the commenter's edit window, and moderation."""
