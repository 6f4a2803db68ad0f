from tasks import crunch_numbers

crunch_numbers.delay()
print("sent")
