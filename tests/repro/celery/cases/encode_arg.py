from tasks import add


class Money:
    def __init__(self, amount, currency):
        self.amount, self.currency = amount, currency


add.delay(Money(5, "EUR"), Money(7, "EUR"))
