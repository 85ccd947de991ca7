"""Sphinx configuration of the book: the course's notebooks as a static site.

Built by ``make book`` (sources are written from ``notebooks/`` into
``_build/book_src`` by ``_ext/course_book.py``; the site goes to
``_build/book``). Nothing is executed and nothing is loaded from outside
the site: MathJax is served from the build (``make book`` fetches it with
npm into ``_build/mathjax``) and the widget JavaScript is off.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "A neural network is a sparse matrix applied again and again"
author = "the course's authors"
copyright = "the course's authors"

extensions = ["myst_nb", "course_book"]
course_notebooks = "../notebooks"
# the sliders' precomputed figures (_ext/course_player.py): the cache kept between builds
course_frames_cache = str(HERE.parent / "_build" / "frames")
root_doc = "index"
exclude_patterns = ["**.ipynb_checkpoints"]

# myst-nb: show the stored outputs, never execute
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no require.js nor widget manager from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# MathJax from the site itself (relative paths are under _static/)
MATHJAX = HERE.parent / "_build" / "mathjax"
if not (MATHJAX / "mathjax" / "tex-mml-chtml.js").is_file():
    raise FileNotFoundError(f"MathJax is missing from {MATHJAX}; `make book` fetches it with npm")
mathjax_path = "mathjax/tex-mml-chtml.js"
# assistive MathML: MathJax puts a hidden MathML copy of every formula beside
# what it draws (mjx-assistive-mml), which screen readers read; it is
# MathJax 3's default, stated here so that no menu setting turns it off. The
# extension is a file of the MathJax served with the site.
mathjax3_config = {
    "loader": {"load": ["a11y/assistive-mml"]},
    "options": {"enableAssistiveMml": True, "menuOptions": {"settings": {"assistiveMml": True}}},
}

# our versions of theme templates (accessibility fixes: see the README's section on the book)
templates_path = ["_templates"]
html_theme = "sphinx_book_theme"
html_title = "Sparse matrices, applied again and again"
html_static_path = ["_static", str(MATHJAX)]
html_css_files = ["course_book.css"]
html_js_files = [("course_player.js", {"defer": "defer"})]
html_context = {"default_mode": "light"}  # the theme logs an error for an empty mode
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
