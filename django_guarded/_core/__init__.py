"""What every layer of django-guarded shares, importing nothing of the others.

The write permission and the running call's interface (`permission`), what is known
of a decorated method (`methods`), django-fsm-2's knowledge of the machines (`fsm`),
model labels (`labels`), and the wording of every message (`messages`, with
`wording` and `source`, which import nothing so that the mypy plugin can use them).
"""
