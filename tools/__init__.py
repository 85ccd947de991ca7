"""The course's tools, run from this checkout and never installed: the
environment check (``check``), the safe JupyterLab launcher (``lab``) and
the refresh of the notebooks' stored outputs (``refresh``). A learner's
``import course_utils`` does not reach them; ``make`` runs them as
``python -m tools.<name>`` from the repository root.
"""
