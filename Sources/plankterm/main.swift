print("plankterm")
