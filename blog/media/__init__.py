"""Pictures: uploads decoded and stripped by Pillow, stored in several sizes, served under /media/."""
