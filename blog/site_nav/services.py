"""Changing the navigation: a page in or out of it, an item moved up or down; the caller commits."""

from ..extensions import db
from ..models import NavItem, Post
from . import queries


def show_in_navigation(post: Post, shown: bool) -> None:
    """Add the page at the end of the navigation, or take it out. The post must have an id (flushed)."""
    item = queries.item_for(post.id)
    if shown and item is None:
        db.session.add(NavItem(post_id=post.id, label=post.title[:200], position=queries.last_position() + 1))
    elif shown and item is not None:
        item.label = post.title[:200]
    elif not shown and item is not None:
        db.session.delete(item)


def move_item(item_id: int, steps: int) -> bool:
    """Swap the item with its neighbour above (steps=-1) or below (+1); False when it is already at that end."""
    items = list(db.session.scalars(queries.all_items()))
    index = next((n for n, item in enumerate(items) if item.id == item_id), None)
    if index is None or not 0 <= index + steps < len(items):
        return False
    items[index], items[index + steps] = items[index + steps], items[index]
    for position, item in enumerate(items, start=1):  # renumbered: ties and gaps from old edits go away
        item.position = position
    return True


def remove_item(item_id: int) -> bool:
    item = db.session.get(NavItem, item_id)
    if item is None:
        return False
    db.session.delete(item)
    return True
