"""The autograde pipeline's hardening (nbgrader side, never imported by a notebook).

``preprocessors`` holds the nbgrader preprocessors that ``nbgrader_config.py`` configures: the
release tagging, the audit of the cells a student could edit, the guarded execution (verified
IPython machinery, a dead kernel scores 0) and the output guard; ``sandbox`` the kernel manager
whose kernels cannot read solutions/, the gradebook or other students' work.
"""
