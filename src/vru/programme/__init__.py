"""The programme (interventions, referrals, attendance, reach) and its funding ledger.

``model`` (code lists, money, interventions), ``toolkit`` (YEF Toolkit reference), ``people``
(pseudonyms and the person-key hook for record linkage), ``workflow`` (referral statuses,
attendance, optimistic concurrency), ``ledger`` (grants, commitments, spend, carry-forward),
``reconcile`` (rules over the stored ledger), ``stats`` (reach, funnel, costs), ``outcomes``
(participants before/after from linked data), ``returns`` (Home Office-style return, board
summary). Everything reads and writes through the Workspace.
"""
