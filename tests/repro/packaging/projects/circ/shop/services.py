from shop.models import Order


def price_with_tax(amount):
    return amount * 1.2


def latest() -> Order:
    return Order()
