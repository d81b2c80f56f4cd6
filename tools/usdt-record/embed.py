"""embed.py OUT NAME=FILE...: a C header with each FILE's bytes as
`static const unsigned char NAME[]`, so that usdt-record carries its BPF
objects inside."""
import sys

with open(sys.argv[1], "w") as out:
    for pair in sys.argv[2:]:
        name, path = pair.split("=", 1)
        data = open(path, "rb").read()
        out.write(f"static const unsigned char {name}[] = {{{','.join(map(str, data))}}};\n")
