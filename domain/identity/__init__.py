"""Identity and access: who a signed-in person is in the programme, and what they may do.

Clerk proves *who* someone is (a verified session token); our own accounts table says *what*
they are in the programme (admin, family, provider, and which family or provider record).
"""
