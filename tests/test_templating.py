"""blog.templating's Jinja template class: `{% from ... import ... %}` gives the macros Jinja's own would."""

import pytest
from jinja2 import DictLoader, Environment, Template

from blog.templating import BlogTemplate

TEMPLATES = {
    "macros.html": "{% macro hello() %}hello {{ who|default('nobody') }}{% endmacro %}",
    "page.html": '{% from "macros.html" import hello %}{{ hello() }}',
    "other.html": '{% from "macros.html" import hello %}{{ hello() }}',
}


def environment(template_class: type[Template]) -> Environment:
    env = Environment(loader=DictLoader(TEMPLATES))
    env.template_class = template_class
    return env


@pytest.mark.parametrize("template_class", [Template, BlogTemplate])
def test_imports_give_what_jinja_gives(template_class):
    env = environment(template_class)
    assert env.get_template("page.html").render() == "hello nobody"
    assert env.get_template("page.html").render(who="x") == "hello nobody"  # an import has no context
    # A template with globals of its own passes them to the macros it imports (a module of its own) ...
    assert env.get_template("other.html", globals={"who": "world"}).render() == "hello world"
    # ... and the module the other templates share is not changed by it.
    assert env.get_template("page.html").render() == "hello nobody"


def test_the_shared_module_is_made_once():
    env = environment(BlogTemplate)
    env.get_template("page.html").render()
    first = env.get_template("macros.html")._get_default_module()
    env.get_template("page.html").render()
    assert env.get_template("macros.html")._get_default_module() is first
