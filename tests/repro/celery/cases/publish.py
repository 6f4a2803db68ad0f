from tasks import add

result = add.delay(2, 3)
print("queued", result.id)
