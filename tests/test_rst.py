"""reStructuredText READMEs (PyPI's usual format) give the same fields a Markdown README would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from heuristag.engine.document import extract
from heuristag.engine.rst import looks_like_rst, rst_to_markdown

README = """\
.. image:: https://img.shields.io/pypi/v/fastqueue.svg
    :target: https://pypi.org/project/fastqueue
    :alt: PyPI version

.. |ci| image:: https://github.com/example/fastqueue/actions/workflows/ci.yml/badge.svg
   :target: https://github.com/example/fastqueue/actions

=========
fastqueue
=========

|ci| A tiny job queue library for Python. See the `documentation <https://fastqueue.readthedocs.io>`_.

Installation
------------

Install it with pip::

    $ pip install fastqueue

Usage
-----

.. code-block:: python

    import fastqueue
    q = fastqueue.Queue()

Use ``q.put()`` to add a job; read :func:`fastqueue.run` for more.

.. note::

   Only Python 3.9 and newer.

.. a comment that says nothing
"""


def test_looks_like_rst_only_for_rst():
    assert looks_like_rst(README)
    assert not looks_like_rst("# Title\n\nSome *Markdown* with `code` and a [link](http://x.io).\n")
    assert not looks_like_rst("Title\n=====\n\nA setext Markdown heading alone is not RST.\n")
    assert not looks_like_rst("")


def test_rewrite_maps_each_construct():
    md = rst_to_markdown(README)
    assert "[![PyPI version](https://img.shields.io/pypi/v/fastqueue.svg)](https://pypi.org/project/fastqueue)" in md
    assert "# fastqueue" in md.splitlines()
    assert "## Installation" in md.splitlines() and "## Usage" in md.splitlines()
    assert "Install it with pip:" in md
    assert "```\n$ pip install fastqueue\n```" in md
    assert "```python\nimport fastqueue\nq = fastqueue.Queue()\n```" in md
    assert "[documentation](https://fastqueue.readthedocs.io)" in md
    assert "Use `q.put()` to add a job; read `fastqueue.run` for more." in md
    assert "|ci|" not in md and "a comment that says nothing" not in md
    assert "Only Python 3.9 and newer." in md


def test_document_of_an_rst_readme():
    doc = extract(README)
    assert doc.title == "fastqueue"
    assert doc.headings == ("fastqueue", "Installation", "Usage")
    assert any("pypi" in b for b in doc.badges) and any("badge.svg" in b or "actions" in b for b in doc.badges)
    assert [c.lang for c in doc.code] == ["", "python"]
    assert "pip install fastqueue" in doc.code[0].text
    assert doc.description.startswith("A tiny job queue library for Python")
    assert ":alt:" not in doc.body and ".. image" not in doc.body


def test_an_rst_library_readme_is_tagged_a_library(tagger):
    names = [t.name for t in tagger.tag(README).tags]
    assert "lib" in names


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(".. :`_|=-~*#\n\t abcXYZ<>/image::code-block")), max_size=400))
def test_rewrite_and_extract_never_fail_on_rst_like_noise(text):
    out = rst_to_markdown(text)
    assert isinstance(out, str)
    extract(text)


def test_an_inline_link_split_over_two_lines_is_one_link_and_the_lines_stay_one_for_one():
    rst = ("Tiny\n====\n\nTiny is an `ASGI\n<https://example.org/asgi>`_ and\nWSGI server, `h11\n  <https://h.example>`__.\n"
           "\nSee the `docs <https://d.example>`_.\n")
    md = rst_to_markdown(rst)
    assert "[ASGI](https://example.org/asgi)" in md and "[h11](https://h.example)" in md
    assert md.split("\n")[2:6] == ["Tiny is an [ASGI](https://example.org/asgi)", " and",
                                   "WSGI server, [h11](https://h.example)", "  ."]  # a line for each line
    assert extract(rst).description.startswith("Tiny is an ASGI and WSGI server")
