"""The numerical core: numpy arrays in, frozen result dataclasses out.

Kaplan-Meier (:mod:`.km`), log-rank / G-rho (:mod:`.logrank`), Cox (:mod:`.cox`) and
restricted mean survival (:mod:`._rmst`, compared between groups in :mod:`.rmst_test`),
competing risks (cumulative incidence and Gray's test in :mod:`.cuminc`, Fine-Gray regression
in :mod:`.fine_gray`, their data in :mod:`._competing_data`), all built on the per-time aggregates of
:mod:`._aggregates`. Nothing here imports pandas at module level, reads files or plots.
"""
