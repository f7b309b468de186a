"""Chek, the programme's card and wallet fintech, behind the ``PaymentGateway`` port."""
