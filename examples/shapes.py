# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The Python twin of examples/shapes.c: `scripts/example.sh` traces both."""
import math


class Shape:
    def area(self):
        raise NotImplementedError


class Circle(Shape):
    def __init__(self, r):
        self.r = r

    def area(self):
        return math.pi * self.r * self.r


class Square(Shape):
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side


def make_shapes(n):
    return [Circle(i) if i % 2 else Square(i) for i in range(n)]


def total_area(shapes):
    return sum(s.area() for s in shapes)


def main():
    shapes = make_shapes(40)
    print("total area %.1f" % total_area(shapes))
    try:
        Shape().area()
    except NotImplementedError:
        print("abstract shape has no area")


main()
