from shop.models import Order

print(Order().total())
