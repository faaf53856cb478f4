"""The maths behind each page of the lab, one module per page it serves (plus the lessons' measurements)."""
