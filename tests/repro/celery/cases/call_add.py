from tasks import add

add.delay(2, 3)
print("sent")
