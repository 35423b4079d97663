"""The contact form and the admins' inbox of the messages it stores."""
