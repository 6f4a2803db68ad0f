engine = "sqlite://"
