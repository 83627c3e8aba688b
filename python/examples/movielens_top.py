"""MovieLens top movies with the RDD API: the ratings of MovieLens 100K
(u.data) averaged per movie, movies with fewer than --min-ratings ratings
left out, joined with their titles (u.item, Latin-1), the best ten printed.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/movielens_top.py \\
        ../shared/data/movielens-100k [--min-ratings 100] [--master local[2]] [--json]

MovieLens is GroupLens's (research use only; see the dataset's README).
"""
import argparse
import json
import os

from kiln import SparkContext


def top_movies(sc, data_dir, min_ratings=100, n=10):
    """[(title, average, count)] of the n best-rated movies with at least
    min_ratings ratings, best first (ties by title)."""
    # u.data: user id, movie id, rating, timestamp (tab-separated).
    ratings = (sc.textFile(os.path.join(data_dir, "u.data"))
               .map(lambda line: line.split("\t"))
               .map(lambda f: (int(f[1]), (int(f[2]), 1))))
    sums = ratings.reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1]))
    averages = (sums.filter(lambda kv: kv[1][1] >= min_ratings)
                .mapValues(lambda s: (s[0] / s[1], s[1])))
    # u.item: movie id|title|... in Latin-1: read as bytes, decoded here.
    titles = (sc.textFile(os.path.join(data_dir, "u.item"), use_unicode=False)
              .map(lambda b: b.decode("latin-1").split("|"))
              .map(lambda f: (int(f[0]), f[1])))
    joined = averages.join(titles)  # (id, ((avg, count), title))
    rows = joined.map(lambda kv: (kv[1][1], kv[1][0][0], kv[1][0][1]))
    return rows.takeOrdered(n, key=lambda t: (-t[1], t[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="the movielens-100k directory")
    ap.add_argument("--min-ratings", type=int, default=100)
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    with SparkContext(args.master, "movielens-top") as sc:
        top = top_movies(sc, args.data, args.min_ratings)
    if args.json:
        print(json.dumps(top))
        return
    for title, avg, count in top:
        print("%.3f  %5d  %s" % (avg, count, title))


if __name__ == "__main__":
    main()
