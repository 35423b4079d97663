"""The render floor: a Flask app with no database rendering the bench article and its comments with Jinja.

What the blog's article page cannot beat with every cache off: the same words, the same 50 comments, a
layout of about the same size, read once from a JSON file (BENCH_FLOOR_CONTENT) at start-up.
`gunicorn bench.floor:app`.
"""

import json
import os
from datetime import datetime

from flask import Flask, render_template

app = Flask(__name__, template_folder="floor_templates")
with open(os.environ["BENCH_FLOOR_CONTENT"], encoding="utf-8") as source:
    CONTENT = json.load(source)


def nest(comments: list[dict]) -> list[dict]:
    by_id = {c["id"]: {**c, "children": []} for c in comments}
    top = []
    for c in by_id.values():
        parent = by_id.get(c["parent_id"]) if c["parent_id"] else None
        (parent["children"] if parent else top).append(c)
    return top


THREAD = nest(CONTENT["comments"])


@app.template_filter("day")
def day(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%B %-d, %Y at %H:%M")


@app.get("/posts/<slug>")
def article(slug: str):
    return render_template("article.html", post=CONTENT, thread=THREAD, count=len(CONTENT["comments"]), slug=slug)
