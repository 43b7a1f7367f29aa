"""The autograde pipeline's hardening and the class-grading tools (nbgrader side, never imported by a notebook).

``preprocessors`` holds the nbgrader preprocessors that ``nbgrader_config.py`` configures: the
release tagging, the audit of the cells a student could edit, the guarded execution (verified
IPython machinery, a dead kernel scores 0) and the output guard; ``sandbox`` the kernel manager
whose kernels cannot read solutions/, the gradebook or other students' work.

``classroom`` grades a whole class with one command (``make grade``): ``intake`` reads and repairs
the submissions (stripped metadata, deleted or duplicated cells), parallel graders autograde them
with nbgrader, then feedback, CSV and a report. ``progress`` shows a self-study student which
exercises pass their visible checks (``make progress``).
"""
