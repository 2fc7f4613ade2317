"""Built-in problems that read standard input and write standard output.

Each problem is a dict:
- `id`: stable, unique slug;
- `difficulty`: introductory | interview;
- `statement`: the task, with its input/output format and constraints (the first test is appended
  as the example by build_builtin.py);
- `solution`: the body of the program (build_builtin.py wraps it in the zero-argument function
  that APPS+ uses, so `return` ends the program early);
- `tests`: (stdin, expected stdout) pairs, written by hand, the first one shown as the example.

Written for the stepcoder project (Apache-2.0); not copied from any contest archive.
"""

PROBLEMS = []

#: Problems are added in batches. build_builtin.py puts every problem of batch 1 (of both files)
#: before any of batch 2, so new problems are appended and never move an existing one.
BATCH = 1


def problem(**fields):
    fields.setdefault("batch", BATCH)
    PROBLEMS.append(fields)


# ---------------------------------------------------------------------------------------------
# introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="add-two-integers",
    difficulty="introductory",
    statement="""
        Read two integers and print their sum.

        -----Input-----

        One line with two integers a and b separated by a space (-10^9 <= a, b <= 10^9).

        -----Output-----

        Print the value of a + b.
    """,
    solution=r"""
        a, b = map(int, input().split())
        print(a + b)
    """,
    tests=[
        ("3 4\n", "7\n"),
        ("-5 5\n", "0\n"),
        ("1000000000 1000000000\n", "2000000000\n"),
        ("-7 -8\n", "-15\n"),
    ],
)

problem(
    id="even-or-odd",
    difficulty="introductory",
    statement="""
        Tell whether a whole number is even or odd.

        -----Input-----

        One integer n (-10^9 <= n <= 10^9).

        -----Output-----

        Print EVEN if n is divisible by 2, otherwise print ODD.
    """,
    solution=r"""
        n = int(input())
        if n % 2 == 0:
            print("EVEN")
        else:
            print("ODD")
    """,
    tests=[("4\n", "EVEN\n"), ("7\n", "ODD\n"), ("0\n", "EVEN\n"), ("-3\n", "ODD\n")],
)

problem(
    id="largest-number",
    difficulty="introductory",
    statement="""
        Find the largest of a list of numbers.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers, each
        between -10^6 and 10^6.

        -----Output-----

        Print the largest of the n integers.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        best = nums[0]
        for x in nums[1:]:
            if x > best:
                best = x
        print(best)
    """,
    tests=[
        ("5\n3 9 -2 9 4\n", "9\n"),
        ("1\n-7\n", "-7\n"),
        ("3\n-5 -1 -3\n", "-1\n"),
    ],
)

problem(
    id="count-vowels",
    difficulty="introductory",
    statement="""
        Count the vowels in a line of text. The vowels are the letters a, e, i, o and u.

        -----Input-----

        One line of at most 1000 characters: lowercase English letters and spaces.

        -----Output-----

        Print the number of vowels in the line.
    """,
    solution=r"""
        s = input()
        print(sum(1 for c in s if c in "aeiou"))
    """,
    tests=[
        ("hello world\n", "3\n"),
        ("rhythm\n", "0\n"),
        ("aeiou aeiou\n", "10\n"),
        ("programming is fun\n", "5\n"),
    ],
)

problem(
    id="reverse-word-order",
    difficulty="introductory",
    statement="""
        Print the words of a sentence in reverse order.

        -----Input-----

        One line with between 1 and 100 words separated by single spaces. Each word consists of
        lowercase English letters.

        -----Output-----

        Print the same words, separated by single spaces, last word first.
    """,
    solution=r"""
        print(" ".join(input().split()[::-1]))
    """,
    tests=[
        ("the quick brown fox\n", "fox brown quick the\n"),
        ("single\n", "single\n"),
        ("a b\n", "b a\n"),
    ],
)

problem(
    id="clap-game",
    difficulty="introductory",
    statement="""
        Children count aloud from 1 to n. Instead of saying a number that is divisible by 3 or
        that contains the digit 3, a child claps. Write down what is said.

        -----Input-----

        One integer n (1 <= n <= 1000).

        -----Output-----

        Print n lines. Line i holds the word clap if i is divisible by 3 or contains the digit 3,
        and the number i otherwise.
    """,
    solution=r"""
        n = int(input())
        for i in range(1, n + 1):
            if i % 3 == 0 or "3" in str(i):
                print("clap")
            else:
                print(i)
    """,
    tests=[
        ("5\n", "1\n2\nclap\n4\n5\n"),
        ("1\n", "1\n"),
        ("14\n", "1\n2\nclap\n4\n5\nclap\n7\n8\nclap\n10\n11\nclap\nclap\n14\n"),
    ],
)

problem(
    id="celsius-to-fahrenheit",
    difficulty="introductory",
    statement="""
        Convert a temperature from degrees Celsius to degrees Fahrenheit using F = C * 9 / 5 + 32.

        -----Input-----

        One integer C (-273 <= C <= 10000).

        -----Output-----

        Print F with exactly one digit after the decimal point.
    """,
    solution=r"""
        c = int(input())
        print(f"{c * 9 / 5 + 32:.1f}")
    """,
    tests=[("100\n", "212.0\n"), ("-40\n", "-40.0\n"), ("37\n", "98.6\n"), ("0\n", "32.0\n")],
)

problem(
    id="digit-sum",
    difficulty="introductory",
    statement="""
        Add up the digits of a (possibly very long) number.

        -----Input-----

        One non-negative integer with at most 1000 digits, without leading zeros.

        -----Output-----

        Print the sum of its decimal digits.
    """,
    solution=r"""
        print(sum(int(d) for d in input().strip()))
    """,
    tests=[("12345\n", "15\n"), ("0\n", "0\n"), ("9" * 21 + "\n", "189\n")],
)

problem(
    id="leap-year",
    difficulty="introductory",
    statement="""
        In the Gregorian calendar a year is a leap year if it is divisible by 4, except that years
        divisible by 100 are not leap years unless they are also divisible by 400.
        Decide whether a given year is a leap year.

        -----Input-----

        One integer y (1 <= y <= 10^9).

        -----Output-----

        Print YES if y is a leap year and NO otherwise.
    """,
    solution=r"""
        y = int(input())
        if y % 400 == 0 or (y % 4 == 0 and y % 100 != 0):
            print("YES")
        else:
            print("NO")
    """,
    tests=[("2024\n", "YES\n"), ("1900\n", "NO\n"), ("2000\n", "YES\n"), ("2023\n", "NO\n")],
)

problem(
    id="triangle-kind",
    difficulty="introductory",
    statement="""
        Three sticks have lengths a, b and c. Decide what kind of triangle they form.
        They form a triangle only if the sum of any two lengths is strictly greater than the third.

        -----Input-----

        One line with three integers a, b and c (1 <= a, b, c <= 10^6).

        -----Output-----

        Print invalid if the sticks do not form a triangle. Otherwise print equilateral if all
        three lengths are equal, isosceles if exactly two are equal, and scalene if all differ.
    """,
    solution=r"""
        a, b, c = sorted(map(int, input().split()))
        if a + b <= c:
            print("invalid")
        elif a == c:
            print("equilateral")
        elif a == b or b == c:
            print("isosceles")
        else:
            print("scalene")
    """,
    tests=[
        ("3 3 3\n", "equilateral\n"),
        ("2 3 2\n", "isosceles\n"),
        ("3 4 5\n", "scalene\n"),
        ("1 2 3\n", "invalid\n"),
        ("5 1 1\n", "invalid\n"),
    ],
)

problem(
    id="floor-average",
    difficulty="introductory",
    statement="""
        A teacher wants the average score of a class, rounded down to a whole number.

        -----Input-----

        The first line contains n (1 <= n <= 100), the number of students. The second line
        contains n integers between 0 and 100, their scores.

        -----Output-----

        Print the average score rounded down.
    """,
    solution=r"""
        n = int(input())
        scores = list(map(int, input().split()))
        print(sum(scores) // n)
    """,
    tests=[("3\n1 2 4\n", "2\n"), ("1\n10\n", "10\n"), ("4\n5 5 5 6\n", "5\n"), ("2\n0 0\n", "0\n")],
)

problem(
    id="star-triangle",
    difficulty="introductory",
    statement="""
        Draw a triangle of stars: the first line has one star, the second two, and so on.

        -----Input-----

        One integer n (1 <= n <= 50).

        -----Output-----

        Print n lines; line i consists of i characters '*'.
    """,
    solution=r"""
        n = int(input())
        for i in range(1, n + 1):
            print("*" * i)
    """,
    tests=[("3\n", "*\n**\n***\n"), ("1\n", "*\n"), ("5\n", "*\n**\n***\n****\n*****\n")],
)

problem(
    id="count-long-words",
    difficulty="introductory",
    statement="""
        Count how many words of a sentence are longer than k letters.

        -----Input-----

        The first line contains k (0 <= k <= 100). The second line contains between 1 and 100
        words of lowercase English letters separated by single spaces.

        -----Output-----

        Print the number of words with more than k letters.
    """,
    solution=r"""
        k = int(input())
        words = input().split()
        print(len([w for w in words if len(w) > k]))
    """,
    tests=[
        ("3\nthe cat sat on a mattress\n", "1\n"),
        ("0\nhello there\n", "2\n"),
        ("10\nshort words only\n", "0\n"),
    ],
)

problem(
    id="clock-time",
    difficulty="introductory",
    statement="""
        A clock was set to 00:00 and then m minutes passed. Show what the 24-hour clock reads now.

        -----Input-----

        One integer m (0 <= m <= 10^6).

        -----Output-----

        Print the time as HH:MM, with two digits for the hours and two for the minutes.
    """,
    solution=r"""
        m = int(input()) % (24 * 60)
        print(f"{m // 60:02d}:{m % 60:02d}")
    """,
    tests=[
        ("75\n", "01:15\n"),
        ("0\n", "00:00\n"),
        ("1439\n", "23:59\n"),
        ("1440\n", "00:00\n"),
        ("1000000\n", "10:40\n"),
    ],
)

problem(
    id="palindrome-word",
    difficulty="introductory",
    statement="""
        A word is a palindrome if it reads the same from left to right and from right to left.
        Check whether a word is a palindrome.

        -----Input-----

        One word of 1 to 1000 lowercase English letters.

        -----Output-----

        Print YES if the word is a palindrome and NO otherwise.
    """,
    solution=r"""
        s = input().strip()
        print("YES" if s == s[::-1] else "NO")
    """,
    tests=[("level\n", "YES\n"), ("abca\n", "NO\n"), ("x\n", "YES\n"), ("abba\n", "YES\n")],
)

problem(
    id="second-largest",
    difficulty="introductory",
    statement="""
        Find the second largest distinct value in a list of integers.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers between
        -10^9 and 10^9.

        -----Output-----

        Print the second largest distinct value, or NONE if the list has fewer than two
        distinct values.
    """,
    solution=r"""
        n = int(input())
        values = sorted(set(map(int, input().split())), reverse=True)
        if len(values) < 2:
            print("NONE")
        else:
            print(values[1])
    """,
    tests=[
        ("5\n4 1 4 3 2\n", "3\n"),
        ("3\n7 7 7\n", "NONE\n"),
        ("2\n-1 -5\n", "-5\n"),
        ("1\n5\n", "NONE\n"),
    ],
)

problem(
    id="first-multiples",
    difficulty="introductory",
    statement="""
        List the first k multiples of a number n: n, 2n, 3n, ..., kn.

        -----Input-----

        One line with two integers n and k (-1000 <= n <= 1000, 1 <= k <= 100).

        -----Output-----

        Print the k multiples on one line, separated by spaces.
    """,
    solution=r"""
        n, k = map(int, input().split())
        print(" ".join(str(n * i) for i in range(1, k + 1)))
    """,
    tests=[("3 4\n", "3 6 9 12\n"), ("7 1\n", "7\n"), ("-2 3\n", "-2 -4 -6\n"), ("0 2\n", "0 0\n")],
)

problem(
    id="running-total",
    difficulty="introductory",
    statement="""
        Print the running totals of a list: the sum of the first number, of the first two,
        of the first three, and so on.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers between
        -1000 and 1000.

        -----Output-----

        Print n numbers on one line separated by spaces: the i-th is the sum of the first i
        input numbers.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        total = 0
        out = []
        for x in nums:
            total += x
            out.append(total)
        print(*out)
    """,
    tests=[("4\n1 2 3 4\n", "1 3 6 10\n"), ("1\n5\n", "5\n"), ("3\n-1 1 -1\n", "-1 0 -1\n")],
)

problem(
    id="most-common-letter",
    difficulty="introductory",
    statement="""
        Find the letter that occurs most often in a word. If several letters occur equally
        often, choose the one that comes first in the alphabet.

        -----Input-----

        One word of 1 to 10^5 lowercase English letters.

        -----Output-----

        Print the letter and the number of times it occurs, separated by a space.
    """,
    solution=r"""
        s = input().strip()
        counts = {}
        for ch in s:
            counts[ch] = counts.get(ch, 0) + 1
        best = min(counts, key=lambda ch: (-counts[ch], ch))
        print(best, counts[best])
    """,
    tests=[("banana\n", "a 3\n"), ("abc\n", "a 1\n"), ("zzyy\n", "y 2\n"), ("mississippi\n", "i 4\n")],
)

problem(
    id="make-change",
    difficulty="introductory",
    statement="""
        A cashier has unlimited coins worth 1, 5, 10 and 25 cents. Pay an amount of n cents with
        as few coins as possible.

        -----Input-----

        One integer n (0 <= n <= 10^6).

        -----Output-----

        Print the smallest number of coins whose values add up to n.
    """,
    solution=r"""
        n = int(input())
        count = 0
        for coin in (25, 10, 5, 1):
            count += n // coin
            n %= coin
        print(count)
    """,
    tests=[("41\n", "4\n"), ("0\n", "0\n"), ("30\n", "2\n"), ("99\n", "9\n")],
)

problem(
    id="sign-count",
    difficulty="introductory",
    statement="""
        Count the positive numbers, the negative numbers and the zeros in a list.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers between
        -10^9 and 10^9.

        -----Output-----

        Print three numbers separated by spaces: how many are positive, how many are negative,
        and how many are zero.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        positive = negative = zero = 0
        for x in nums:
            if x > 0:
                positive += 1
            elif x < 0:
                negative += 1
            else:
                zero += 1
        print(positive, negative, zero)
    """,
    tests=[("5\n1 -2 0 3 -4\n", "2 2 1\n"), ("3\n0 0 0\n", "0 0 3\n"), ("1\n-9\n", "0 1 0\n")],
)

problem(
    id="run-length-encoding",
    difficulty="introductory",
    statement="""
        Compress a word with run-length encoding: every maximal block of equal consecutive
        letters is written as the letter followed by the length of the block.

        -----Input-----

        One word of 1 to 1000 lowercase English letters.

        -----Output-----

        Print the encoded word.
    """,
    solution=r"""
        s = input().strip()
        out = []
        i = 0
        while i < len(s):
            j = i
            while j < len(s) and s[j] == s[i]:
                j += 1
            out.append(s[i] + str(j - i))
            i = j
        print("".join(out))
    """,
    tests=[
        ("aaabcc\n", "a3b1c2\n"),
        ("z\n", "z1\n"),
        ("abab\n", "a1b1a1b1\n"),
        ("b" * 12 + "\n", "b12\n"),
    ],
)

problem(
    id="hollow-rectangle",
    difficulty="introductory",
    statement="""
        Draw a rectangle with r rows and c columns whose border is made of '#' characters and
        whose inside is filled with '.' characters.

        -----Input-----

        One line with two integers r and c (1 <= r, c <= 50).

        -----Output-----

        Print r lines of c characters each.
    """,
    solution=r"""
        r, c = map(int, input().split())
        for i in range(r):
            print("".join("#" if i in (0, r - 1) or j in (0, c - 1) else "." for j in range(c)))
    """,
    tests=[
        ("3 4\n", "####\n#..#\n####\n"),
        ("1 1\n", "#\n"),
        ("2 3\n", "###\n###\n"),
        ("3 1\n", "#\n#\n#\n"),
    ],
)

problem(
    id="count-divisors",
    difficulty="introductory",
    statement="""
        Count the positive divisors of a number n, that is, the positive integers d such that
        n is divisible by d.

        -----Input-----

        One integer n (1 <= n <= 10^10).

        -----Output-----

        Print the number of positive divisors of n.
    """,
    solution=r"""
        n = int(input())
        count = 0
        d = 1
        while d * d <= n:
            if n % d == 0:
                count += 1 if d * d == n else 2
            d += 1
        print(count)
    """,
    tests=[("12\n", "6\n"), ("1\n", "1\n"), ("36\n", "9\n"), ("97\n", "2\n")],
)

problem(
    id="letter-counts",
    difficulty="introductory",
    statement="""
        For every distinct letter of a word, print how many times it occurs.

        -----Input-----

        One word of 1 to 1000 lowercase English letters.

        -----Output-----

        For every letter that occurs in the word, in alphabetical order, print a line with the
        letter and its number of occurrences, separated by a space.
    """,
    solution=r"""
        s = input().strip()
        counts = {ch: s.count(ch) for ch in set(s)}
        for ch in sorted(counts):
            print(ch, counts[ch])
    """,
    tests=[("hello\n", "e 1\nh 1\nl 2\no 1\n"), ("a\n", "a 1\n"), ("zzz\n", "z 3\n")],
)

# ---------------------------------------------------------------------------------------------
# interview
# ---------------------------------------------------------------------------------------------

problem(
    id="range-sum-queries",
    difficulty="interview",
    statement="""
        You are given an array of n integers and q questions. Each question names a segment
        l..r of the array and asks for the sum of its elements.

        -----Input-----

        The first line contains n and q (1 <= n, q <= 2 * 10^5). The second line contains the n
        integers a_1 ... a_n (-10^9 <= a_i <= 10^9). Each of the next q lines contains two
        integers l and r (1 <= l <= r <= n).

        -----Output-----

        For each question print a_l + a_(l+1) + ... + a_r on its own line.
    """,
    solution=r"""
        import sys
        data = sys.stdin.read().split()
        n, q = int(data[0]), int(data[1])
        prefix = [0] * (n + 1)
        for i in range(n):
            prefix[i + 1] = prefix[i] + int(data[2 + i])
        out = []
        pos = 2 + n
        for _ in range(q):
            l, r = int(data[pos]), int(data[pos + 1])
            pos += 2
            out.append(prefix[r] - prefix[l - 1])
        print("\n".join(map(str, out)))
    """,
    tests=[
        ("5 3\n1 2 3 4 5\n1 5\n2 3\n4 4\n", "15\n5\n4\n"),
        ("1 1\n-7\n1 1\n", "-7\n"),
        ("4 2\n3 -1 4 -1\n1 2\n2 4\n", "2\n2\n"),
    ],
)

problem(
    id="grid-shortest-path",
    difficulty="interview",
    statement="""
        A maze is a grid of r rows and c columns. Cells marked '#' are walls, '.' are free,
        'S' is the start and 'E' is the exit. In one step you may move to a free neighbouring
        cell up, down, left or right (the exit counts as free). Find the smallest number of steps
        from the start to the exit.

        -----Input-----

        The first line contains r and c (1 <= r, c <= 500). Each of the next r lines contains c
        characters. There is exactly one 'S' and exactly one 'E'.

        -----Output-----

        Print the smallest number of steps, or -1 if the exit cannot be reached.
    """,
    solution=r"""
        from collections import deque
        r, c = map(int, input().split())
        grid = [input().strip() for _ in range(r)]
        for i in range(r):
            for j in range(c):
                if grid[i][j] == "S":
                    start = (i, j)
        dist = {start: 0}
        queue = deque([start])
        while queue:
            i, j = queue.popleft()
            if grid[i][j] == "E":
                print(dist[(i, j)])
                return
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                ni, nj = i + di, j + dj
                if 0 <= ni < r and 0 <= nj < c and grid[ni][nj] != "#" and (ni, nj) not in dist:
                    dist[(ni, nj)] = dist[(i, j)] + 1
                    queue.append((ni, nj))
        print(-1)
    """,
    tests=[
        ("3 4\nS..#\n.#..\n...E\n", "5\n"),
        ("2 2\nS#\n#E\n", "-1\n"),
        ("1 2\nSE\n", "1\n"),
        ("3 3\nS#E\n.#.\n...\n", "6\n"),
    ],
)

problem(
    id="count-components",
    difficulty="interview",
    statement="""
        A network has n computers numbered 1 to n and m cables; each cable connects two
        computers. Two computers can talk if a chain of cables joins them. Count the groups of
        computers that can talk to each other (the connected components).

        -----Input-----

        The first line contains n and m (1 <= n <= 10^5, 0 <= m <= 2 * 10^5). Each of the next m
        lines contains two integers a and b (1 <= a, b <= n): a cable between a and b.

        -----Output-----

        Print the number of connected components.
    """,
    solution=r"""
        n, m = map(int, input().split())
        parent = list(range(n + 1))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        components = n
        for _ in range(m):
            a, b = map(int, input().split())
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
                components -= 1
        print(components)
    """,
    tests=[
        ("5 3\n1 2\n2 3\n4 5\n", "2\n"),
        ("3 0\n", "3\n"),
        ("4 4\n1 2\n2 3\n3 1\n3 4\n", "1\n"),
        ("1 1\n1 1\n", "1\n"),
    ],
)

problem(
    id="longest-distinct-run",
    difficulty="interview",
    statement="""
        Find the length of the longest block of consecutive characters of a string in which no
        character appears twice.

        -----Input-----

        One line with a string of 1 to 10^5 lowercase English letters.

        -----Output-----

        Print the length of the longest block without repeated characters.
    """,
    solution=r"""
        s = input().strip()
        last = {}
        start = best = 0
        for i, ch in enumerate(s):
            if ch in last and last[ch] >= start:
                start = last[ch] + 1
            last[ch] = i
            best = max(best, i - start + 1)
        print(best)
    """,
    tests=[("abcdeafg\n", "7\n"), ("aaaa\n", "1\n"), ("abba\n", "2\n"), ("q\n", "1\n")],
)

problem(
    id="pairs-with-sum",
    difficulty="interview",
    statement="""
        Count the pairs of positions i < j in an array whose values add up to exactly k.

        -----Input-----

        The first line contains n and k (1 <= n <= 2 * 10^5, -10^9 <= k <= 10^9). The second line
        contains n integers between -10^9 and 10^9.

        -----Output-----

        Print the number of pairs (i, j) with i < j and a_i + a_j = k.
    """,
    solution=r"""
        n, k = map(int, input().split())
        nums = list(map(int, input().split()))
        seen = {}
        pairs = 0
        for x in nums:
            pairs += seen.get(k - x, 0)
            seen[x] = seen.get(x, 0) + 1
        print(pairs)
    """,
    tests=[
        ("5 6\n1 5 3 3 2\n", "2\n"),
        ("4 2\n1 1 1 1\n", "6\n"),
        ("3 100\n1 2 3\n", "0\n"),
        ("2 0\n-5 5\n", "1\n"),
    ],
)

problem(
    id="best-subarray-sum",
    difficulty="interview",
    statement="""
        Find the largest possible sum of a non-empty block of consecutive elements of an array.

        -----Input-----

        The first line contains n (1 <= n <= 2 * 10^5). The second line contains n integers
        between -10^9 and 10^9.

        -----Output-----

        Print the largest sum of a non-empty contiguous block.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        best = cur = nums[0]
        for x in nums[1:]:
            cur = max(x, cur + x)
            best = max(best, cur)
        print(best)
    """,
    tests=[
        ("6\n3 -4 5 -1 2 -6\n", "6\n"),
        ("3\n-3 -1 -2\n", "-1\n"),
        ("1\n7\n", "7\n"),
        ("5\n1 2 3 4 5\n", "15\n"),
    ],
)

problem(
    id="bracket-check",
    difficulty="interview",
    statement="""
        A string of brackets is balanced if every opening bracket ( [ { is closed by the
        matching closing bracket ) ] } in the right order. Check several strings.

        -----Input-----

        The first line contains t (1 <= t <= 100). Each of the next t lines contains a string of
        1 to 10^4 characters from ()[]{}.

        -----Output-----

        For each string print YES if it is balanced and NO otherwise.
    """,
    solution=r"""
        pairs = {")": "(", "]": "[", "}": "{"}
        t = int(input())
        for _ in range(t):
            s = input().strip()
            stack = []
            ok = True
            for ch in s:
                if ch in pairs:
                    if not stack or stack.pop() != pairs[ch]:
                        ok = False
                        break
                else:
                    stack.append(ch)
            print("YES" if ok and not stack else "NO")
    """,
    tests=[
        ("3\n([]{})\n(]\n((\n", "YES\nNO\nNO\n"),
        ("1\n{[()()]}\n", "YES\n"),
        ("2\n)(\n[]\n", "NO\nYES\n"),
    ],
)

problem(
    id="fewest-coins",
    difficulty="interview",
    statement="""
        Coins come in k denominations, and there are as many coins of each as you like. Pay
        exactly the amount a with as few coins as possible. Note that taking the largest coin
        first does not always give the best answer.

        -----Input-----

        The first line contains k and a (1 <= k <= 100, 0 <= a <= 10^4). The second line contains
        k distinct integers between 1 and 10^4: the denominations.

        -----Output-----

        Print the smallest number of coins that add up to a, or -1 if it is impossible.
    """,
    solution=r"""
        k, amount = map(int, input().split())
        coins = list(map(int, input().split()))
        best = [0] + [amount + 1] * amount
        for value in range(1, amount + 1):
            for coin in coins:
                if coin <= value and best[value - coin] + 1 < best[value]:
                    best[value] = best[value - coin] + 1
        print(best[amount] if best[amount] <= amount else -1)
    """,
    tests=[
        ("3 12\n1 4 9\n", "3\n"),
        ("1 7\n2\n", "-1\n"),
        ("2 0\n3 5\n", "0\n"),
        ("2 13\n5 3\n", "3\n"),
    ],
)

problem(
    id="covered-length",
    difficulty="interview",
    statement="""
        Painters painted n stretches of a long fence. Stretch i covers the points x with
        l_i <= x < r_i. Stretches may overlap. Find the total length of fence that is painted.

        -----Input-----

        The first line contains n (1 <= n <= 10^5). Each of the next n lines contains two integers
        l_i and r_i (0 <= l_i < r_i <= 10^9).

        -----Output-----

        Print the total painted length.
    """,
    solution=r"""
        n = int(input())
        intervals = sorted(tuple(map(int, input().split())) for _ in range(n))
        total = 0
        cur_l, cur_r = intervals[0]
        for l, r in intervals[1:]:
            if l > cur_r:
                total += cur_r - cur_l
                cur_l, cur_r = l, r
            else:
                cur_r = max(cur_r, r)
        total += cur_r - cur_l
        print(total)
    """,
    tests=[
        ("3\n1 4\n2 6\n8 10\n", "7\n"),
        ("1\n0 5\n", "5\n"),
        ("3\n5 7\n1 3\n3 5\n", "6\n"),
        ("2\n1 10\n2 3\n", "9\n"),
    ],
)

problem(
    id="robot-visits",
    difficulty="interview",
    statement="""
        A robot starts at cell (0, 0) of an infinite grid and follows a string of commands:
        U moves it up one cell, D down, L left and R right. Count the distinct cells it visits,
        including the starting cell.

        -----Input-----

        One line with 1 to 10^5 characters from UDLR.

        -----Output-----

        Print the number of distinct visited cells.
    """,
    solution=r"""
        x = y = 0
        visited = {(0, 0)}
        moves = {"U": (0, 1), "D": (0, -1), "L": (-1, 0), "R": (1, 0)}
        for ch in input().strip():
            dx, dy = moves[ch]
            x += dx
            y += dy
            visited.add((x, y))
        print(len(visited))
    """,
    tests=[("URDL\n", "4\n"), ("UUUU\n", "5\n"), ("UDUD\n", "2\n"), ("RRLLRR\n", "3\n")],
)

problem(
    id="evaluate-expression",
    difficulty="interview",
    statement="""
        Evaluate an arithmetic expression made of non-negative integers and the operators +, -
        and *. There are no spaces and no parentheses; multiplication is done before addition
        and subtraction, and operators of equal priority are applied from left to right.

        -----Input-----

        One line with the expression, at most 1000 characters long. Every number has at most
        9 digits.

        -----Output-----

        Print the value of the expression.
    """,
    solution=r"""
        import re
        tokens = re.findall(r"\d+|[+*-]", input().strip())
        total = 0
        sign = 1
        term = int(tokens[0])
        i = 1
        while i < len(tokens):
            op, value = tokens[i], int(tokens[i + 1])
            if op == "*":
                term *= value
            else:
                total += sign * term
                sign = 1 if op == "+" else -1
                term = value
            i += 2
        total += sign * term
        print(total)
    """,
    tests=[("2+3*4\n", "14\n"), ("10-2*3-1\n", "3\n"), ("7\n", "7\n"), ("2*3*4-5+1\n", "20\n")],
)

problem(
    id="course-order",
    difficulty="interview",
    statement="""
        A school offers n courses numbered 1 to n. Some courses require others: a rule "a b"
        means course b must be finished before course a can start. Decide whether a student
        can take all n courses in some order.

        -----Input-----

        The first line contains n and m (1 <= n <= 10^5, 0 <= m <= 2 * 10^5). Each of the next m
        lines contains a rule "a b" (1 <= a, b <= n).

        -----Output-----

        Print YES if all courses can be taken and NO otherwise.
    """,
    solution=r"""
        from collections import deque
        n, m = map(int, input().split())
        indegree = [0] * (n + 1)
        unlocks = [[] for _ in range(n + 1)]
        for _ in range(m):
            a, b = map(int, input().split())
            unlocks[b].append(a)
            indegree[a] += 1
        queue = deque(v for v in range(1, n + 1) if indegree[v] == 0)
        taken = 0
        while queue:
            v = queue.popleft()
            taken += 1
            for w in unlocks[v]:
                indegree[w] -= 1
                if indegree[w] == 0:
                    queue.append(w)
        print("YES" if taken == n else "NO")
    """,
    tests=[
        ("3 2\n2 1\n3 2\n", "YES\n"),
        ("2 2\n1 2\n2 1\n", "NO\n"),
        ("4 0\n", "YES\n"),
        ("3 3\n1 2\n2 3\n3 1\n", "NO\n"),
    ],
)

problem(
    id="best-window",
    difficulty="interview",
    statement="""
        Find the largest sum of k consecutive elements of an array.

        -----Input-----

        The first line contains n and k (1 <= k <= n <= 2 * 10^5). The second line contains n
        integers between -10^4 and 10^4.

        -----Output-----

        Print the largest sum of a block of exactly k consecutive elements.
    """,
    solution=r"""
        n, k = map(int, input().split())
        nums = list(map(int, input().split()))
        window = sum(nums[:k])
        best = window
        for i in range(k, n):
            window += nums[i] - nums[i - k]
            best = max(best, window)
        print(best)
    """,
    tests=[
        ("5 2\n1 3 -1 5 2\n", "7\n"),
        ("3 3\n1 2 3\n", "6\n"),
        ("4 1\n-5 -2 -9 -1\n", "-1\n"),
    ],
)

problem(
    id="most-meetings",
    difficulty="interview",
    statement="""
        One meeting room, n requested meetings. Meeting i starts at time s_i and ends at time
        e_i; a meeting may start exactly when the previous one ends. Choose as many meetings as
        possible so that no two chosen meetings overlap.

        -----Input-----

        The first line contains n (1 <= n <= 10^5). Each of the next n lines contains s_i and e_i
        (0 <= s_i < e_i <= 10^9).

        -----Output-----

        Print the largest number of meetings that can be held.
    """,
    solution=r"""
        n = int(input())
        meetings = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda m: m[1])
        count = 0
        free_at = 0
        for start, end in meetings:
            if start >= free_at:
                count += 1
                free_at = end
        print(count)
    """,
    tests=[
        ("4\n1 3\n2 5\n3 6\n6 7\n", "3\n"),
        ("1\n0 10\n", "1\n"),
        ("3\n1 2\n1 2\n1 2\n", "1\n"),
        ("3\n1 10\n2 3\n4 5\n", "2\n"),
    ],
)

problem(
    id="stair-climbing",
    difficulty="interview",
    statement="""
        A staircase has n steps. With each move you climb 1, 2 or 3 steps. In how many different
        sequences of moves can you reach the top exactly? The answer can be large: print it
        modulo 1000000007.

        -----Input-----

        One integer n (1 <= n <= 10^5).

        -----Output-----

        Print the number of ways modulo 1000000007.
    """,
    solution=r"""
        MOD = 10**9 + 7
        n = int(input())
        ways = [0] * (n + 1)
        ways[0] = 1
        for i in range(1, n + 1):
            ways[i] = sum(ways[i - s] for s in (1, 2, 3) if i - s >= 0) % MOD
        print(ways[n])
    """,
    tests=[("4\n", "7\n"), ("1\n", "1\n"), ("10\n", "274\n"), ("2\n", "2\n")],
)

problem(
    id="count-primes",
    difficulty="interview",
    statement="""
        Count the prime numbers that are less than or equal to n.

        -----Input-----

        One integer n (1 <= n <= 10^6).

        -----Output-----

        Print how many primes p satisfy p <= n.
    """,
    solution=r"""
        n = int(input())
        if n < 2:
            print(0)
            return
        sieve = bytearray([1]) * (n + 1)
        sieve[0] = sieve[1] = 0
        for i in range(2, int(n**0.5) + 1):
            if sieve[i]:
                sieve[i * i :: i] = bytearray(len(range(i * i, n + 1, i)))
        print(sum(sieve))
    """,
    tests=[("10\n", "4\n"), ("1\n", "0\n"), ("2\n", "1\n"), ("100\n", "25\n"), ("1000000\n", "78498\n")],
)

problem(
    id="cheapest-route",
    difficulty="interview",
    statement="""
        A country has n towns numbered 1 to n and m two-way roads; the road between towns u and v
        costs w to travel. Find the cheapest way to travel from town 1 to town n.

        -----Input-----

        The first line contains n and m (1 <= n <= 10^5, 0 <= m <= 2 * 10^5). Each of the next m
        lines contains u, v and w (1 <= u, v <= n, 1 <= w <= 10^9).

        -----Output-----

        Print the smallest total cost, or -1 if town n cannot be reached from town 1.
    """,
    solution=r"""
        import heapq
        n, m = map(int, input().split())
        roads = [[] for _ in range(n + 1)]
        for _ in range(m):
            u, v, w = map(int, input().split())
            roads[u].append((v, w))
            roads[v].append((u, w))
        dist = [None] * (n + 1)
        heap = [(0, 1)]
        while heap:
            d, v = heapq.heappop(heap)
            if dist[v] is not None:
                continue
            dist[v] = d
            for w, cost in roads[v]:
                if dist[w] is None:
                    heapq.heappush(heap, (d + cost, w))
        print(dist[n] if dist[n] is not None else -1)
    """,
    tests=[
        ("4 4\n1 2 1\n2 4 5\n1 3 2\n3 4 1\n", "3\n"),
        ("3 1\n1 2 4\n", "-1\n"),
        ("2 1\n1 2 7\n", "7\n"),
        ("1 0\n", "0\n"),
    ],
)

problem(
    id="common-subsequence",
    difficulty="interview",
    statement="""
        A subsequence of a string is what remains after deleting some of its characters (possibly
        none) without changing the order of the rest. Find the length of the longest string that
        is a subsequence of both given strings.

        -----Input-----

        Two lines, each with a string of 1 to 2000 lowercase English letters.

        -----Output-----

        Print the length of the longest common subsequence.
    """,
    solution=r"""
        a = input().strip()
        b = input().strip()
        prev = [0] * (len(b) + 1)
        for ch in a:
            cur = [0]
            for j, other in enumerate(b):
                if ch == other:
                    cur.append(prev[j] + 1)
                else:
                    cur.append(max(prev[j + 1], cur[j]))
            prev = cur
        print(prev[-1])
    """,
    tests=[("kitten\nsitting\n", "4\n"), ("abc\nxyz\n", "0\n"), ("same\nsame\n", "4\n")],
)

problem(
    id="spiral-order",
    difficulty="interview",
    statement="""
        Read a matrix and print its elements in clockwise spiral order: along the top row to the
        right, down the right column, back along the bottom row, up the left column, and so on
        inwards.

        -----Input-----

        The first line contains r and c (1 <= r, c <= 100). Each of the next r lines contains c
        integers.

        -----Output-----

        Print the r * c elements in spiral order on one line, separated by spaces.
    """,
    solution=r"""
        r, c = map(int, input().split())
        m = [input().split() for _ in range(r)]
        top, bottom, left, right = 0, r - 1, 0, c - 1
        out = []
        while top <= bottom and left <= right:
            for j in range(left, right + 1):
                out.append(m[top][j])
            top += 1
            for i in range(top, bottom + 1):
                out.append(m[i][right])
            right -= 1
            if top <= bottom:
                for j in range(right, left - 1, -1):
                    out.append(m[bottom][j])
                bottom -= 1
            if left <= right:
                for i in range(bottom, top - 1, -1):
                    out.append(m[i][left])
                left += 1
        print(" ".join(out))
    """,
    tests=[
        ("3 3\n1 2 3\n4 5 6\n7 8 9\n", "1 2 3 6 9 8 7 4 5\n"),
        ("1 4\n1 2 3 4\n", "1 2 3 4\n"),
        ("3 1\n1\n2\n3\n", "1 2 3\n"),
        ("2 3\n1 2 3\n4 5 6\n", "1 2 3 6 5 4\n"),
    ],
)

problem(
    id="top-three-words",
    difficulty="interview",
    statement="""
        Find the three most frequent words of a text. Words are separated by whitespace and
        compared without regard to case.

        -----Input-----

        Several lines of text, read until the end of input, with at least one word and at most
        10^5 characters in total. Words consist of English letters.

        -----Output-----

        Print up to three lines, each with a word in lowercase and its number of occurrences,
        most frequent first; words with equal counts are printed in alphabetical order.
    """,
    solution=r"""
        import sys
        from collections import Counter
        counts = Counter(sys.stdin.read().lower().split())
        for word, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]:
            print(word, count)
    """,
    tests=[
        ("the cat and the hat\nand the bat\n", "the 3\nand 2\nbat 1\n"),
        ("Hello hello HELLO\n", "hello 3\n"),
        ("b a\n", "a 1\nb 1\n"),
    ],
)

problem(
    id="elimination-circle",
    difficulty="interview",
    statement="""
        n people numbered 1 to n stand in a circle. Counting starts at person 1; every k-th person
        counted leaves the circle, and counting goes on with the next person still there. Print
        the order in which people leave.

        -----Input-----

        One line with n and k (1 <= n, k <= 5000).

        -----Output-----

        Print the n numbers in order of leaving, separated by spaces.
    """,
    solution=r"""
        n, k = map(int, input().split())
        people = list(range(1, n + 1))
        idx = 0
        order = []
        while people:
            idx = (idx + k - 1) % len(people)
            order.append(people.pop(idx))
        print(*order)
    """,
    tests=[("5 2\n", "2 4 1 5 3\n"), ("1 3\n", "1\n"), ("4 1\n", "1 2 3 4\n"), ("3 3\n", "3 1 2\n")],
)

problem(
    id="bank-ledger",
    difficulty="interview",
    statement="""
        Simulate a bank account that starts with balance 0 and receives n commands:
        - deposit X: add X to the balance;
        - withdraw X: take X from the balance, or print insufficient (and change nothing) if X is
          larger than the balance;
        - balance: print the current balance.
        The amount X of deposit and withdraw is a token that should be a non-negative integer.
        If it is not (for example "ten" or "-5"), print invalid and ignore the command.

        -----Input-----

        The first line contains n (1 <= n <= 1000). Each of the next n lines contains a command.

        -----Output-----

        Print the lines produced by the commands, in order.
    """,
    solution=r"""
        balance = 0
        for _ in range(int(input())):
            parts = input().split()
            if parts[0] == "balance":
                print(balance)
                continue
            try:
                amount = int(parts[1])
                if amount < 0:
                    raise ValueError(amount)
            except ValueError:
                print("invalid")
                continue
            if parts[0] == "deposit":
                balance += amount
            elif amount > balance:
                print("insufficient")
            else:
                balance -= amount
    """,
    tests=[
        ("5\ndeposit 100\nwithdraw 30\nbalance\nwithdraw 100\nbalance\n", "70\ninsufficient\n70\n"),
        ("3\ndeposit ten\ndeposit -5\nbalance\n", "invalid\ninvalid\n0\n"),
        ("4\ndeposit 5\nwithdraw 5\nwithdraw 1\nbalance\n", "insufficient\n0\n"),
    ],
)


# =============================================================================================
# batch 2: appended after every batch-1 problem of both files (see BATCH above)
# =============================================================================================

BATCH = 2

# ---------------------------------------------------------------------------------------------
# introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="rectangle-stats",
    difficulty="introductory",
    statement="""
        A garden bed is a rectangle w metres wide and h metres long. Print its area and the
        length of fence needed to go around it.

        -----Input-----

        One line with two integers w and h (1 <= w, h <= 10^4).

        -----Output-----

        Print the area w * h and the perimeter 2 * (w + h), separated by a space.
    """,
    solution=r"""
        w, h = map(int, input().split())
        print(w * h, 2 * (w + h))
    """,
    tests=[
        ("3 5\n", "15 16\n"),
        ("1 1\n", "1 4\n"),
        ("10000 10000\n", "100000000 40000\n"),
        ("7 2\n", "14 18\n"),
    ],
)

problem(
    id="count-uppercase",
    difficulty="introductory",
    statement="""
        Count the capital letters in a line of text.

        -----Input-----

        One line of at most 1000 characters: English letters, digits, spaces and punctuation.

        -----Output-----

        Print the number of upper case letters (A to Z) in the line.
    """,
    solution=r"""
        print(sum(1 for c in input() if c.isupper()))
    """,
    tests=[
        ("Hello World\n", "2\n"),
        ("no capitals here\n", "0\n"),
        ("ABC def GHI\n", "6\n"),
        ("A1 B2 c3!\n", "2\n"),
    ],
)

problem(
    id="multiples-in-range",
    difficulty="introductory",
    statement="""
        How many whole numbers x with a <= x <= b are divisible by k?

        -----Input-----

        One line with three integers a, b and k (0 <= a <= b <= 10^12, 1 <= k <= 10^12).

        -----Output-----

        Print the count. Zero is divisible by every k.
    """,
    solution=r"""
        a, b, k = map(int, input().split())
        print(b // k - (a - 1) // k)
    """,
    tests=[
        ("1 10 3\n", "3\n"),
        ("0 0 5\n", "1\n"),
        ("7 9 10\n", "0\n"),
        ("10 20 5\n", "3\n"),
        ("1 1000000000000 1\n", "1000000000000\n"),
    ],
)

problem(
    id="reverse-digits",
    difficulty="introductory",
    statement="""
        Write the digits of a number in the opposite order.

        -----Input-----

        One integer n (0 <= n <= 10^18), without leading zeros.

        -----Output-----

        Print the number whose digits are those of n read from right to left, without leading
        zeros (the reverse of 1200 is 21).
    """,
    solution=r"""
        print(int(input().strip()[::-1]))
    """,
    tests=[
        ("1234\n", "4321\n"),
        ("1200\n", "21\n"),
        ("0\n", "0\n"),
        ("7\n", "7\n"),
        ("1000000000000000000\n", "1\n"),
    ],
)

problem(
    id="value-spread",
    difficulty="introductory",
    statement="""
        The spread of a list of numbers is its largest value minus its smallest value. Print the
        spread of the given list.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers, each
        between -10^6 and 10^6.

        -----Output-----

        Print the spread.
    """,
    solution=r"""
        input()
        nums = list(map(int, input().split()))
        print(max(nums) - min(nums))
    """,
    tests=[
        ("5\n4 9 1 7 3\n", "8\n"),
        ("1\n42\n", "0\n"),
        ("3\n-5 5 0\n", "10\n"),
        ("4\n2 2 2 2\n", "0\n"),
    ],
)

problem(
    id="above-average",
    difficulty="introductory",
    statement="""
        Count the numbers of a list that are strictly greater than the average of the list.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers, each
        between -10^6 and 10^6.

        -----Output-----

        Print how many of the n numbers are greater than their average.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        total = sum(nums)
        print(sum(1 for x in nums if x * n > total))
    """,
    tests=[
        ("5\n1 2 3 4 5\n", "2\n"),
        ("1\n10\n", "0\n"),
        ("4\n1 1 1 5\n", "1\n"),
        ("3\n-3 -1 1\n", "1\n"),
        ("4\n7 7 7 7\n", "0\n"),
    ],
)

problem(
    id="swap-case",
    difficulty="introductory",
    statement="""
        Turn every lower case letter of a line into upper case and every upper case letter into
        lower case. All other characters stay as they are.

        -----Input-----

        One line of at most 1000 characters: English letters, digits, spaces and punctuation.

        -----Output-----

        Print the changed line.
    """,
    solution=r"""
        print(input().swapcase())
    """,
    tests=[
        ("Hello World\n", "hELLO wORLD\n"),
        ("abc\n", "ABC\n"),
        ("123 !?\n", "123 !?\n"),
        ("MiXeD cAsE 42\n", "mIxEd CaSe 42\n"),
    ],
)

problem(
    id="number-pyramid",
    difficulty="introductory",
    statement="""
        Print a pyramid of numbers with n rows: row i holds the numbers 1, 2, ..., i.

        -----Input-----

        One integer n (1 <= n <= 20).

        -----Output-----

        Print n lines. Line i contains the numbers from 1 to i separated by single spaces.
    """,
    solution=r"""
        n = int(input())
        for i in range(1, n + 1):
            print(" ".join(str(j) for j in range(1, i + 1)))
    """,
    tests=[
        ("3\n", "1\n1 2\n1 2 3\n"),
        ("1\n", "1\n"),
        ("2\n", "1\n1 2\n"),
        ("5\n", "1\n1 2\n1 2 3\n1 2 3 4\n1 2 3 4 5\n"),
    ],
)

problem(
    id="char-positions",
    difficulty="introductory",
    statement="""
        Find every position at which a character occurs in a word.

        -----Input-----

        The first line contains a word s of 1 to 100 English letters. The second line contains a
        single letter c.

        -----Output-----

        Print the positions (counting from 1) of the characters of s equal to c, in increasing
        order and separated by spaces, or NONE if c does not occur in s. Upper and lower case
        letters are different.
    """,
    solution=r"""
        s = input().strip()
        c = input().strip()
        positions = [str(i + 1) for i, ch in enumerate(s) if ch == c]
        print(" ".join(positions) if positions else "NONE")
    """,
    tests=[
        ("banana\na\n", "2 4 6\n"),
        ("banana\nz\n", "NONE\n"),
        ("x\nx\n", "1\n"),
        ("Mississippi\ns\n", "3 4 6 7\n"),
        ("Moon\nm\n", "NONE\n"),
    ],
)

problem(
    id="warmer-days",
    difficulty="introductory",
    statement="""
        A weather station wrote down the temperature at noon on n days in a row. On how many days
        was it warmer than on the day before?

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains the n temperatures,
        integers between -50 and 50, in the order of the days.

        -----Output-----

        Print the number of days whose temperature is strictly higher than that of the previous
        day. The first day has no previous day and never counts.
    """,
    solution=r"""
        input()
        temps = list(map(int, input().split()))
        print(sum(1 for a, b in zip(temps, temps[1:]) if b > a))
    """,
    tests=[
        ("6\n10 12 11 15 15 16\n", "3\n"),
        ("1\n5\n", "0\n"),
        ("4\n9 8 7 6\n", "0\n"),
        ("3\n-2 -1 0\n", "2\n"),
    ],
)

problem(
    id="greatest-common-divisor",
    difficulty="introductory",
    statement="""
        Print the greatest common divisor of two numbers: the largest integer that divides both.

        -----Input-----

        One line with two integers a and b (0 <= a, b <= 10^18, not both zero).

        -----Output-----

        Print the greatest common divisor of a and b.
    """,
    solution=r"""
        import math
        a, b = map(int, input().split())
        print(math.gcd(a, b))
    """,
    tests=[
        ("12 18\n", "6\n"),
        ("7 0\n", "7\n"),
        ("17 5\n", "1\n"),
        ("1000000000000 250000000000\n", "250000000000\n"),
    ],
)

problem(
    id="prime-check",
    difficulty="introductory",
    statement="""
        Decide whether a number is prime: greater than 1 and divisible only by 1 and itself.

        -----Input-----

        One integer n (1 <= n <= 10^12).

        -----Output-----

        Print PRIME if n is prime and NOT PRIME otherwise.
    """,
    solution=r"""
        n = int(input())
        if n < 2:
            print("NOT PRIME")
            return
        d = 2
        while d * d <= n:
            if n % d == 0:
                print("NOT PRIME")
                return
            d += 1
        print("PRIME")
    """,
    tests=[
        ("13\n", "PRIME\n"),
        ("1\n", "NOT PRIME\n"),
        ("2\n", "PRIME\n"),
        ("91\n", "NOT PRIME\n"),
        ("999999999989\n", "PRIME\n"),
    ],
)

problem(
    id="distinct-values",
    difficulty="introductory",
    statement="""
        Count how many different values appear in a list of numbers.

        -----Input-----

        The first line contains n (1 <= n <= 10^5). The second line contains n integers, each
        between -10^9 and 10^9.

        -----Output-----

        Print the number of distinct values among the n integers.
    """,
    solution=r"""
        input()
        print(len(set(map(int, input().split()))))
    """,
    tests=[
        ("6\n3 1 3 2 1 3\n", "3\n"),
        ("1\n0\n", "1\n"),
        ("4\n5 5 5 5\n", "1\n"),
        ("5\n-1 1 -2 2 0\n", "5\n"),
    ],
)

problem(
    id="shopping-total",
    difficulty="introductory",
    statement="""
        A receipt lists the items of a purchase with their unit price and the quantity bought.
        Compute the amount to pay.

        -----Input-----

        The first line contains n (0 <= n <= 100), the number of receipt lines. Each of the next n
        lines contains an item name (lowercase letters), its unit price and the quantity, both
        integers between 0 and 10^4, separated by spaces.

        -----Output-----

        Print the total: the sum of price times quantity over all lines.
    """,
    solution=r"""
        n = int(input())
        total = 0
        for _ in range(n):
            name, price, qty = input().split()
            total += int(price) * int(qty)
        print(total)
    """,
    tests=[
        ("3\napple 3 4\nbread 25 1\nmilk 12 2\n", "61\n"),
        ("0\n", "0\n"),
        ("1\npen 7 0\n", "0\n"),
        ("2\nrice 100 10\ntea 45 3\n", "1135\n"),
    ],
)

problem(
    id="middle-letters",
    difficulty="introductory",
    statement="""
        Print the middle of a word: its middle letter if the word has an odd number of letters,
        its two middle letters if the number is even.

        -----Input-----

        One word of 1 to 100 lowercase English letters.

        -----Output-----

        Print the middle letter or the two middle letters.
    """,
    solution=r"""
        s = input().strip()
        m = len(s) // 2
        print(s[m] if len(s) % 2 == 1 else s[m - 1:m + 1])
    """,
    tests=[
        ("table\n", "b\n"),
        ("code\n", "od\n"),
        ("a\n", "a\n"),
        ("ab\n", "ab\n"),
        ("planet\n", "an\n"),
    ],
)

problem(
    id="power-of-two",
    difficulty="introductory",
    statement="""
        Decide whether a number is a power of two (1, 2, 4, 8, ...; 1 is 2 to the power 0).

        -----Input-----

        One integer n (1 <= n <= 10^18).

        -----Output-----

        Print YES if n is a power of two and NO otherwise.
    """,
    solution=r"""
        n = int(input())
        print("YES" if n & (n - 1) == 0 else "NO")
    """,
    tests=[
        ("8\n", "YES\n"),
        ("1\n", "YES\n"),
        ("12\n", "NO\n"),
        ("1152921504606846976\n", "YES\n"),
        ("1000000000000000000\n", "NO\n"),
    ],
)

problem(
    id="alternating-sum",
    difficulty="introductory",
    statement="""
        Add up a list of numbers with alternating signs: the first number is added, the second
        subtracted, the third added, and so on.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers a_1 ...
        a_n, each between -10^6 and 10^6.

        -----Output-----

        Print a_1 - a_2 + a_3 - a_4 + ...
    """,
    solution=r"""
        input()
        nums = list(map(int, input().split()))
        print(sum(x if i % 2 == 0 else -x for i, x in enumerate(nums)))
    """,
    tests=[
        ("4\n5 3 8 1\n", "9\n"),
        ("1\n-4\n", "-4\n"),
        ("3\n1 1 1\n", "1\n"),
        ("2\n0 7\n", "-7\n"),
    ],
)

problem(
    id="first-minimum-position",
    difficulty="introductory",
    statement="""
        Find where the smallest number of a list is.

        -----Input-----

        The first line contains n (1 <= n <= 1000). The second line contains n integers, each
        between -10^6 and 10^6.

        -----Output-----

        Print the position (counting from 1) of the smallest number. If it occurs several times,
        print the first position.
    """,
    solution=r"""
        input()
        nums = list(map(int, input().split()))
        print(nums.index(min(nums)) + 1)
    """,
    tests=[
        ("5\n4 2 7 2 9\n", "2\n"),
        ("1\n100\n", "1\n"),
        ("3\n-1 -5 -5\n", "2\n"),
        ("4\n3 3 3 3\n", "1\n"),
    ],
)

# ---------------------------------------------------------------------------------------------
# interview
# ---------------------------------------------------------------------------------------------

problem(
    id="knapsack-capacity",
    difficulty="interview",
    statement="""
        A hiker can carry at most W kilograms. There are n items; item i weighs w_i kilograms and
        is worth v_i. Each item can be packed at most once. Find the largest total worth of a
        selection of items whose total weight is at most W.

        -----Input-----

        The first line contains n and W (1 <= n <= 100, 0 <= W <= 10^4). Each of the next n lines
        contains w_i and v_i (1 <= w_i <= 10^4, 0 <= v_i <= 10^6).

        -----Output-----

        Print the largest total worth.
    """,
    solution=r"""
        n, cap = map(int, input().split())
        best = [0] * (cap + 1)
        for _ in range(n):
            w, v = map(int, input().split())
            for c in range(cap, w - 1, -1):
                best[c] = max(best[c], best[c - w] + v)
        print(best[cap])
    """,
    tests=[
        ("3 5\n2 3\n3 4\n4 5\n", "7\n"),
        ("1 0\n1 10\n", "0\n"),
        ("2 10\n11 5\n3 2\n", "2\n"),
        ("4 7\n1 1\n3 4\n4 5\n5 7\n", "9\n"),
    ],
)

problem(
    id="longest-palindrome-substring",
    difficulty="interview",
    statement="""
        A palindrome reads the same forwards and backwards. Find the length of the longest
        palindrome that appears as a contiguous part of a string.

        -----Input-----

        One line with a string s of 1 to 2000 lowercase English letters.

        -----Output-----

        Print the length of the longest palindromic substring of s.
    """,
    solution=r"""
        s = input().strip()
        best = 0
        for center in range(2 * len(s) - 1):
            i, j = center // 2, (center + 1) // 2
            while i >= 0 and j < len(s) and s[i] == s[j]:
                i -= 1
                j += 1
            best = max(best, j - i - 1)
        print(best)
    """,
    tests=[
        ("banananas\n", "7\n"),
        ("a\n", "1\n"),
        ("abcd\n", "1\n"),
        ("xabbay\n", "4\n"),
        ("aaaa\n", "4\n"),
    ],
)

problem(
    id="rotate-grid",
    difficulty="interview",
    statement="""
        Turn a picture made of characters a quarter turn clockwise.

        -----Input-----

        The first line contains r and c (1 <= r, c <= 100), the number of rows and columns of the
        picture. Each of the next r lines contains c characters (no spaces).

        -----Output-----

        Print the picture rotated 90 degrees clockwise: c lines of r characters each.
    """,
    solution=r"""
        r, c = map(int, input().split())
        grid = [input().strip() for _ in range(r)]
        for j in range(c):
            print("".join(grid[i][j] for i in range(r - 1, -1, -1)))
    """,
    tests=[
        ("2 3\nabc\ndef\n", "da\neb\nfc\n"),
        ("1 1\nx\n", "x\n"),
        ("3 1\na\nb\nc\n", "cba\n"),
        ("2 2\n#.\n..\n", ".#\n..\n"),
    ],
)

problem(
    id="two-teams",
    difficulty="interview",
    statement="""
        A coach must split n players, numbered 1 to n, into two teams. Some pairs of players are
        rivals, and rivals must end up in different teams. Teams may have any size, one of them
        may even be empty. Can the coach do it?

        -----Input-----

        The first line contains n and m (1 <= n <= 10^5, 0 <= m <= 2 * 10^5). Each of the next m
        lines contains two integers a and b (1 <= a, b <= n): players a and b are rivals.

        -----Output-----

        Print YES if such a split exists and NO otherwise.
    """,
    solution=r"""
        n, m = map(int, input().split())
        adj = [[] for _ in range(n + 1)]
        for _ in range(m):
            a, b = map(int, input().split())
            adj[a].append(b)
            adj[b].append(a)
        team = [-1] * (n + 1)
        for start in range(1, n + 1):
            if team[start] == -1:
                team[start] = 0
                stack = [start]
                while stack:
                    u = stack.pop()
                    for v in adj[u]:
                        if team[v] == -1:
                            team[v] = 1 - team[u]
                            stack.append(v)
                        elif team[v] == team[u]:
                            print("NO")
                            return
        print("YES")
    """,
    tests=[
        ("4 4\n1 2\n2 3\n3 4\n4 1\n", "YES\n"),
        ("3 3\n1 2\n2 3\n3 1\n", "NO\n"),
        ("1 0\n", "YES\n"),
        ("5 3\n1 2\n4 5\n2 1\n", "YES\n"),
        ("5 4\n1 2\n3 4\n4 5\n5 3\n", "NO\n"),
    ],
)

problem(
    id="next-greater",
    difficulty="interview",
    statement="""
        For every element of an array, find the first element to its right that is strictly
        greater than it.

        -----Input-----

        The first line contains n (1 <= n <= 2 * 10^5). The second line contains n integers, each
        between -10^9 and 10^9.

        -----Output-----

        Print n numbers separated by spaces: for each element, the first greater element to its
        right, or -1 if there is none.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        answer = [-1] * n
        stack = []
        for i, x in enumerate(nums):
            while stack and nums[stack[-1]] < x:
                answer[stack.pop()] = x
            stack.append(i)
        print(" ".join(map(str, answer)))
    """,
    tests=[
        ("5\n2 7 3 5 4\n", "7 -1 5 -1 -1\n"),
        ("1\n9\n", "-1\n"),
        ("4\n1 2 3 4\n", "2 3 4 -1\n"),
        ("4\n3 3 3 3\n", "-1 -1 -1 -1\n"),
    ],
)

problem(
    id="anagram-windows",
    difficulty="interview",
    statement="""
        Count the places in a text where the letters of a pattern appear next to each other in
        some order: the number of positions i such that the substring of the text starting at i,
        as long as the pattern, is an anagram of the pattern (the same letters, each the same
        number of times).

        -----Input-----

        The first line contains the text t and the second line the pattern p, both made of 1 to
        10^5 lowercase English letters.

        -----Output-----

        Print the number of such positions.
    """,
    solution=r"""
        from collections import Counter
        t = input().strip()
        p = input().strip()
        k = len(p)
        need = Counter(p)
        window = Counter(t[:k])
        count = int(window == need)
        for i in range(k, len(t)):
            window[t[i]] += 1
            window[t[i - k]] -= 1
            if window[t[i - k]] == 0:
                del window[t[i - k]]
            count += window == need
        print(count)
    """,
    tests=[
        ("dabcabxcba\nabc\n", "4\n"),
        ("ab\nabc\n", "0\n"),
        ("aaaa\naa\n", "3\n"),
        ("xyz\nq\n", "0\n"),
        ("abab\nba\n", "3\n"),
    ],
)

problem(
    id="triangle-path",
    difficulty="interview",
    statement="""
        A triangle of numbers has n rows; row i holds i numbers. A path starts at the top and, at
        each step, moves to one of the two numbers just below: from position j of a row to
        position j or j + 1 of the next row. Find the smallest sum of the numbers on a path from
        the top to the bottom row.

        -----Input-----

        The first line contains n (1 <= n <= 500). Line i of the next n lines contains the i
        numbers of row i, integers between -10^4 and 10^4.

        -----Output-----

        Print the smallest path sum.
    """,
    solution=r"""
        n = int(input())
        rows = [list(map(int, input().split())) for _ in range(n)]
        best = rows[-1]
        for row in reversed(rows[:-1]):
            best = [x + min(best[i], best[i + 1]) for i, x in enumerate(row)]
        print(best[0])
    """,
    tests=[
        ("3\n4\n2 7\n6 1 3\n", "7\n"),
        ("1\n-5\n", "-5\n"),
        ("4\n1\n1 1\n9 1 9\n9 9 1 9\n", "4\n"),
        ("2\n3\n-1 -4\n", "-1\n"),
    ],
)

problem(
    id="max-stack",
    difficulty="interview",
    statement="""
        Process commands on a stack of integers, which starts empty:
        PUSH x puts x on top; POP removes the top value; MAX asks for the largest value on the
        stack.

        -----Input-----

        The first line contains q (1 <= q <= 2 * 10^5). Each of the next q lines contains a
        command: PUSH x (-10^9 <= x <= 10^9), POP or MAX.

        -----Output-----

        For each MAX, print the largest value on the stack. For a MAX or a POP on an empty stack,
        print EMPTY instead (the POP then does nothing). Print each answer on its own line.
    """,
    solution=r"""
        q = int(input())
        maxima = []
        out = []
        for _ in range(q):
            parts = input().split()
            if parts[0] == "PUSH":
                x = int(parts[1])
                maxima.append(max(x, maxima[-1]) if maxima else x)
            elif not maxima:
                out.append("EMPTY")
            elif parts[0] == "POP":
                maxima.pop()
            else:
                out.append(str(maxima[-1]))
        print("\n".join(out))
    """,
    tests=[
        ("6\nPUSH 3\nPUSH 8\nMAX\nPOP\nMAX\nPOP\n", "8\n3\n"),
        ("2\nMAX\nPOP\n", "EMPTY\nEMPTY\n"),
        ("5\nPUSH -2\nPUSH -7\nMAX\nPUSH 5\nMAX\n", "-2\n5\n"),
        ("7\nPUSH 4\nPUSH 4\nPOP\nMAX\nPOP\nPOP\nMAX\n", "4\nEMPTY\nEMPTY\n"),
    ],
)

problem(
    id="longest-common-substring",
    difficulty="interview",
    statement="""
        Find the length of the longest string that appears as a contiguous part of both of two
        given strings.

        -----Input-----

        Two lines, each with a string of 1 to 1000 lowercase English letters.

        -----Output-----

        Print the length of their longest common substring (0 if they share no letter).
    """,
    solution=r"""
        a = input().strip()
        b = input().strip()
        best = 0
        prev = [0] * (len(b) + 1)
        for ca in a:
            cur = [0] * (len(b) + 1)
            for j, cb in enumerate(b, 1):
                if ca == cb:
                    cur[j] = prev[j - 1] + 1
                    best = max(best, cur[j])
            prev = cur
        print(best)
    """,
    tests=[
        ("sandcastle\nhandcart\n", "5\n"),
        ("abc\nxyz\n", "0\n"),
        ("same\nsame\n", "4\n"),
        ("ab\nbab\n", "2\n"),
        ("a\na\n", "1\n"),
    ],
)

problem(
    id="count-at-most",
    difficulty="interview",
    statement="""
        Given a list of n numbers, answer q questions: how many numbers of the list are at most x?

        -----Input-----

        The first line contains n and q (1 <= n, q <= 2 * 10^5). The second line contains the n
        numbers. Each of the next q lines contains one question x. All numbers are integers
        between -10^9 and 10^9.

        -----Output-----

        For each question print, on its own line, how many numbers of the list are less than or
        equal to x.
    """,
    solution=r"""
        import bisect
        n, q = map(int, input().split())
        nums = sorted(map(int, input().split()))
        out = []
        for _ in range(q):
            out.append(bisect.bisect_right(nums, int(input())))
        print("\n".join(map(str, out)))
    """,
    tests=[
        ("5 3\n7 1 4 4 9\n4\n0\n10\n", "3\n0\n5\n"),
        ("1 2\n5\n5\n4\n", "1\n0\n"),
        ("4 1\n-3 -3 -3 -3\n-3\n", "4\n"),
    ],
)

problem(
    id="rectangle-sum-queries",
    difficulty="interview",
    statement="""
        A field is a grid of r rows and c columns with a number in every cell. Answer q questions,
        each asking for the sum of the numbers in a rectangle of the grid.

        -----Input-----

        The first line contains r, c and q (1 <= r, c <= 500, 1 <= q <= 10^5). Each of the next r
        lines contains the c numbers of a row (integers between -10^4 and 10^4). Each of the next
        q lines contains r1, c1, r2, c2 (1 <= r1 <= r2 <= r, 1 <= c1 <= c2 <= c): the rectangle
        from row r1, column c1 to row r2, column c2, corners included.

        -----Output-----

        For each question print the sum of the numbers in its rectangle on its own line.
    """,
    solution=r"""
        r, c, q = map(int, input().split())
        pre = [[0] * (c + 1) for _ in range(r + 1)]
        for i in range(1, r + 1):
            row = list(map(int, input().split()))
            for j in range(1, c + 1):
                pre[i][j] = row[j - 1] + pre[i - 1][j] + pre[i][j - 1] - pre[i - 1][j - 1]
        for _ in range(q):
            r1, c1, r2, c2 = map(int, input().split())
            print(pre[r2][c2] - pre[r1 - 1][c2] - pre[r2][c1 - 1] + pre[r1 - 1][c1 - 1])
    """,
    tests=[
        ("2 3 2\n1 2 3\n4 5 6\n1 1 2 3\n2 2 2 3\n", "21\n11\n"),
        ("1 1 1\n-4\n1 1 1 1\n", "-4\n"),
        ("3 3 3\n1 1 1\n1 1 1\n1 1 1\n2 2 3 3\n1 1 1 1\n1 2 3 2\n", "4\n1\n3\n"),
    ],
)

problem(
    id="trapped-rain",
    difficulty="interview",
    statement="""
        A row of n stone columns of width 1 stands side by side; column i is h_i high. After a
        heavy rain, water stays wherever it has columns at least as high on both sides. How many
        unit squares of water does the row hold?

        -----Input-----

        The first line contains n (1 <= n <= 2 * 10^5). The second line contains h_1 ... h_n
        (0 <= h_i <= 10^9).

        -----Output-----

        Print the amount of water held.
    """,
    solution=r"""
        n = int(input())
        h = list(map(int, input().split()))
        i, j = 0, n - 1
        left_max = right_max = water = 0
        while i < j:
            if h[i] < h[j]:
                left_max = max(left_max, h[i])
                water += left_max - h[i]
                i += 1
            else:
                right_max = max(right_max, h[j])
                water += right_max - h[j]
                j -= 1
        print(water)
    """,
    tests=[
        ("6\n3 0 2 0 1 4\n", "9\n"),
        ("1\n5\n", "0\n"),
        ("3\n1 2 3\n", "0\n"),
        ("5\n4 1 1 1 4\n", "9\n"),
        ("3\n2 0 5\n", "2\n"),
    ],
)

problem(
    id="sudoku-check",
    difficulty="interview",
    statement="""
        A filled-in 9 x 9 number puzzle is correct if each row, each column and each of the nine
        3 x 3 boxes (rows 1-3, 4-6, 7-9 crossed with columns 1-3, 4-6, 7-9) contains each of the
        digits 1 to 9 exactly once. Check a filled-in grid.

        -----Input-----

        Nine lines of nine digits (0 to 9) each, without spaces.

        -----Output-----

        Print VALID if the grid is correct and INVALID otherwise.
    """,
    solution=r"""
        g = [input().strip() for _ in range(9)]
        groups = list(g)
        groups += ["".join(g[r][c] for r in range(9)) for c in range(9)]
        groups += [
            "".join(g[r][c] for r in range(br, br + 3) for c in range(bc, bc + 3))
            for br in (0, 3, 6)
            for bc in (0, 3, 6)
        ]
        print("VALID" if all(sorted(x) == list("123456789") for x in groups) else "INVALID")
    """,
    tests=[
        (
            "714385926\n926417583\n583629714\n839762145\n267541839\n145938267\n671854392\n392176458\n458293671\n",
            "VALID\n",
        ),
        (
            "714385926\n926417583\n583629714\n839762145\n627541839\n145938267\n671854392\n392176458\n458293671\n",
            "INVALID\n",
        ),
        (
            "123456789\n234567891\n345678912\n456789123\n567891234\n678912345\n789123456\n891234567\n912345678\n",
            "INVALID\n",
        ),
        (
            "714385926\n926417583\n583629714\n839762145\n267541839\n145938267\n671854392\n392176458\n458293670\n",
            "INVALID\n",
        ),
    ],
)

problem(
    id="zero-sum-stretch",
    difficulty="interview",
    statement="""
        Find the longest stretch of consecutive elements of an array whose sum is exactly zero.

        -----Input-----

        The first line contains n (1 <= n <= 2 * 10^5). The second line contains n integers, each
        between -10^9 and 10^9.

        -----Output-----

        Print the length of the longest contiguous part of the array with sum 0, or 0 if there is
        none.
    """,
    solution=r"""
        n = int(input())
        nums = list(map(int, input().split()))
        first = {0: 0}
        total = best = 0
        for i, x in enumerate(nums, 1):
            total += x
            if total in first:
                best = max(best, i - first[total])
            else:
                first[total] = i
        print(best)
    """,
    tests=[
        ("7\n4 -1 3 -2 5 -5 1\n", "5\n"),
        ("1\n0\n", "1\n"),
        ("3\n1 2 3\n", "0\n"),
        ("4\n2 -2 2 -2\n", "4\n"),
    ],
)

problem(
    id="count-inversions",
    difficulty="interview",
    statement="""
        An inversion of an array is a pair of positions i < j whose elements are out of order:
        a_i > a_j. Count the inversions of the given array.

        -----Input-----

        The first line contains n (1 <= n <= 10^5). The second line contains n integers, each
        between -10^9 and 10^9.

        -----Output-----

        Print the number of inversions.
    """,
    solution=r"""
        import bisect
        input()
        nums = list(map(int, input().split()))
        seen = []
        count = 0
        for x in reversed(nums):
            count += bisect.bisect_left(seen, x)
            bisect.insort(seen, x)
        print(count)
    """,
    tests=[
        ("5\n3 1 4 1 5\n", "3\n"),
        ("1\n7\n", "0\n"),
        ("4\n4 3 2 1\n", "6\n"),
        ("3\n2 2 2\n", "0\n"),
    ],
)
