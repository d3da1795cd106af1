#!/usr/bin/env python
"""Writes the frozen open-vocabulary benchmark, pse_tf/labels/benchmark_words.json, once.

Provenance: every word below was written by hand from general knowledge of clothing, of numbers
and of everyday English (and of a few other languages' number and garment words), *before* any
mapping rule was run on it, and not taken from WordNet's hierarchy. Each word's intended class is
fixed here ("several" with the classes it honestly fits). The only filters applied are
vocabulary checks, never a method:

- the word (one GloVe 6B 50-d token; a few negatives are two-word phrases of GloVe tokens) must
  be in GloVe 6B 50-d;
- it must stay unseen: the library's text normalisation at the time of writing
  (`open_vocabulary.DEFAULT.normalise`: numerals 0-20 spelt out, plurals of class-name words made
  singular) must not turn it into a class name, and it must not be a class name.

Dropped words are listed in the file with the reason. Each kept word's half is fixed by a hash:
"development" when the first 8 hex digits of SHA-256('pse_tf benchmark v1:' + word) are even,
else "test". The denominators are written in the file and are never recomputed by a rule.

    python -m experiments.open_vocabulary.make_benchmark     # refuses to overwrite the file
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "pse_tf" / "labels" / "benchmark_words.json"

# intended class -> words (Fashion-MNIST class names: t-shirt, trouser, pullover, dress, coat,
# sandal, shirt, sneaker, bag, ankle boot; its t-shirt class is "T-shirt/top").
FASHION = {
    "t-shirt": "tee tees tshirt tshirts teeshirt undershirt undershirts singlet singlets camisole "
               "camisoles tank-top tanktop halter crop-top",
    "trouser": "pants jeans slacks chinos khakis leggings sweatpants joggers corduroys breeches "
               "culottes capris jodhpurs denims trackpants bellbottoms pantaloons knickerbockers "
               "pant jean trews flares hipsters cargos pantalones pantalon pantaloni hosen",
    "pullover": "sweater sweaters jumper jumpers cardigan cardigans sweatshirt sweatshirts hoodie "
                "hoodies turtleneck turtlenecks knitwear crewneck guernsey polo-neck rollneck "
                "maglione pulli cardie jumpsuit",
    "dress": "gown gowns frock frocks sundress sundresses kaftan caftan sari saree cheongsam "
             "pinafore minidress nightgown nightdress ballgown muumuu vestido kleid abito qipao "
             "dirndl",
    "coat": "jacket jackets overcoat overcoats raincoat raincoats parka parkas anorak anoraks "
            "trenchcoat blazer blazers windbreaker peacoat greatcoat mackintosh topcoat cagoule "
            "windcheater tailcoat frockcoat chaqueta abrigo manteau giacca cappotto jacke duffle-coat "
            "sportcoat",
    "sandal": "flip-flops flip-flop flipflops espadrilles espadrille huaraches birkenstocks "
              "birkenstock slingbacks jandals sandalias sandalen sandales geta",
    "shirt": "blouse blouses guayabera shirtwaist overshirt button-down camisa hemd chemisier "
             "camicia dress-shirt",
    "sneaker": "trainers plimsolls plimsoll hightops high-tops keds reeboks nikes tennis-shoes "
               "zapatillas turnschuhe baskets-shoes gymshoes running-shoes",
    "bag": "handbag handbags purse purses backpack backpacks satchel satchels tote totes "
           "rucksack rucksacks knapsack knapsacks briefcase briefcases duffel duffle holdall "
           "pouch pocketbook haversack carryall reticule shoulderbag clutch-bag tote-bag bolso "
           "tasche sac-a-main handtasche",
    "ankle boot": "boot boots booties bootie bootees wellingtons wellies jackboots jackboot "
                  "gumboots gumboot snowboots workboots botas stiefel bottes stivali galoshes "
                  "uggs chukka chukkas",
}
FASHION_SEVERAL = {
    "jersey": ["t-shirt", "pullover", "shirt"], "jerseys": ["t-shirt", "pullover", "shirt"],
    "top": ["t-shirt", "shirt"], "tops": ["t-shirt", "shirt"],
    "polo": ["t-shirt", "shirt"], "vest": ["t-shirt", "coat"],
    "fleece": ["pullover", "coat"], "tunic": ["shirt", "dress"], "kurta": ["shirt", "dress"],
    "robe": ["dress", "coat"], "kimono": ["dress", "coat"], "shoes": ["sneaker", "sandal",
                                                                       "ankle boot"],
    "footwear": ["sneaker", "sandal", "ankle boot"], "sneaks": ["sneaker"],
    "slippers": ["sandal", "sneaker"], "mules": ["sandal", "ankle boot"],
    "clogs": ["sandal", "ankle boot"], "overalls": ["trouser", "dress"],
    "dungarees": ["trouser", "dress"], "tights": ["trouser", "dress"],
    "shorts": ["trouser"], "luggage": ["bag"], "suitcase": ["bag"], "sack": ["bag"],
    "wallet": ["bag"], "clutch": ["bag"], "bodice": ["dress", "shirt"],
    "smock": ["dress", "shirt"], "pajamas": ["trouser", "shirt"], "poncho": ["coat", "pullover"],
    "cape": ["coat"], "cloak": ["coat"], "tuxedo": ["coat"], "outerwear": ["coat"],
}

# MNIST: words that honestly mean one digit 0-9 (synonyms, group nouns, ordinals, multiplicatives,
# adverbs, other languages' numerals, other scripts, Roman numerals, slang).
MNIST = {
    "zero": "nought naught nil zilch nada zeroth cero null nulle nulla cipher cypher "
            "zip",
    "one": "first firstly single solo uno una une eins primero erste 1st ace unary "
           "prima primo singleton",
    "two": "pair couple duo twice second secondly both twain dos deux zwei double twin twins "
           "dual dyad twosome 2nd deuce twofold segundo zweite deuxieme deuxième ii",
    "three": "trio triple thrice third thirdly triad trinity triplet triplets threesome tres "
             "trois drei tre 3rd trey treble threefold tercero dritte troisième troika "
             "triumvirate iii",
    "four": "quartet fourth fourthly quad quadruple quadruplet quadruplets tetrad foursome "
            "quatre vier cuatro quattro 4th fourfold vierte quatrième iv quartette",
    "five": "quintet fifth fifthly quintuple quintuplet quintuplets pentad fivesome cinco cinq "
            "fünf funf cinque 5th fivefold fiver quinto fünfte cinquième quintette",
    "six": "sextet sixth sixthly sextuple sextuplet sextuplets hexad seis sechs sei 6th sixfold "
           "sexto sechste sixième sestet half-dozen halfdozen vi",
    "seven": "septet seventh seventhly septuple septuplets siete sieben sette 7th sevenfold "
             "heptad séptimo septimo siebte septième septette vii",
    "eight": "octet eighth eighthly octuple octuplets ocho huit acht 8th eightfold octad "
             "octavo achte huitième octette viii",
    "nine": "nonet ninth ninthly nueve neuf neun nove 9th ninefold ennead noveno neunte "
            "neuvième nonuple ix",
}
# Other scripts' digits: Arabic-Indic, Devanagari, CJK, fullwidth.
SCRIPTS = {
    "zero": "٠ ० 零 〇 ０", "one": "١ १ 一 壹 １", "two": "٢ २ 二 貳 ２", "three": "٣ ३ 三 参 ３",
    "four": "٤ ४ 四 肆 ４", "five": "٥ ५ 五 伍 ５", "six": "٦ ६ 六 陸 ６", "seven": "٧ ७ 七 柒 ７",
    "eight": "٨ ८ 八 捌 ８", "nine": "٩ ९ 九 玖 ９",
}
MNIST_SEVERAL = {}

# Name no class of either data set: common nouns, verbs, adjectives, abstract words, other
# objects (clothing accessories with no class of their own among them), numbers outside 0-9.
NEGATIVE = """
car house tree dog cat water city government music computer table chair window book telephone
river mountain money food bread apple bicycle airplane horse bird fish flower glass door road
school hospital church ship train truck lamp clock knife spoon cup bottle pencil paper garden
kitchen bed pillow blanket carpet wall roof bridge island forest desert ocean cloud rain snow sun
moon star planet rock sand grass leaf potato tomato cheese coffee tea wine beer milk sugar salt
engine wheel hammer nail rope ladder camera television radio newspaper letter envelope guitar
piano violin drum ball bat racket baseball football soccer tennis golf
run eat sleep think write speak build drive swim sing dance read walk jump cook listen buy sell
open close remember forget explain
happy sad big small red blue green fast slow beautiful angry bright dark heavy light old young
new rich poor hot cold wet dry loud quiet soft hard strong weak
freedom justice idea history science election economy policy democracy war peace love fear
truth religion culture language mathematics figure
hat cap scarf gloves socks belt necktie earrings necklace bracelet sunglasses umbrella helmet wig
mask ring watch
ten eleven twelve thirteen fifteen twenty thirty forty fifty hundred thousand million billion
dozen score tenth eleventh twelfth twentieth hundredth 10 11 12 25 42 99 100 1000 2010 decade
century myriad umpteen infinity half quarter percent many few
""".split()
NEGATIVE_PHRASES = ["seven hundred", "twenty one", "red car", "happy dog", "ninety nine",
                    "two thousand"]


def half_of(word: str) -> str:
    digest = hashlib.sha256(f"pse_tf benchmark v1:{word}".encode()).hexdigest()
    return "development" if int(digest[:8], 16) % 2 == 0 else "test"


def main() -> int:
    if OUT.exists():
        print(f"{OUT} exists: the benchmark is frozen; not overwriting", file=sys.stderr)
        return 1
    from pse_tf.data.datasets import CLASS_NAMES
    from pse_tf.labels import load_word_vectors
    from pse_tf.labels.open_vocabulary import DEFAULT
    from pse_tf.labels.vectors import phrase_tokens

    kv = load_word_vectors()

    def check(word, class_names):
        try:
            phrase_tokens(kv, word)
        except ValueError:
            return "not in GloVe 6B 50-d"
        if any(len(t) > 1 and "-" in t and t not in kv.key_to_index for t in [word]):
            return "not one GloVe token (its parts would be averaged)"
        normalised = DEFAULT.normalise(word, class_names).lower()
        if word.lower() in class_names or normalised in class_names:
            return f"rewritten into the class name {normalised!r} by the text normalisation"
        return None

    out = {"_about": __doc__.split("\n\n    python")[0].strip(), "_written": str(
        datetime.date.today()), "_split": "development if int(sha256('pse_tf benchmark v1:' + "
                                          "word)[:8], 16) is even, else test"}
    seen = set()
    for dataset, single, several in (("fashion_mnist", FASHION, FASHION_SEVERAL),
                                     ("mnist", {c: MNIST[c] + " " + SCRIPTS[c] for c in MNIST},
                                      MNIST_SEVERAL)):
        names = CLASS_NAMES[dataset]
        entries = [(w, c, [c]) for c, ws in single.items() for w in ws.split()]
        entries += [(w, "several" if len(cs) > 1 else cs[0], cs) for w, cs in several.items()]
        kept, dropped = [], []
        for word, intended, classes in entries:
            assert all(c in names for c in classes), (word, classes)
            if (dataset, word) in seen:
                dropped.append({"word": word, "why": "listed twice"})
                continue
            seen.add((dataset, word))
            why = check(word, names)
            if why:
                dropped.append({"word": word, "class": intended, "why": why})
            else:
                kept.append({"word": word, "class": intended, "classes": classes,
                             "half": half_of(word)})
        out[dataset] = {"words": kept, "dropped": dropped, "denominator": {
            "all": len(kept), **{h: sum(w["half"] == h for w in kept)
                                 for h in ("development", "test")}}}
    kept, dropped = [], []
    for word in [*NEGATIVE, *NEGATIVE_PHRASES]:
        why = None
        try:
            phrase_tokens(kv, word)
        except ValueError:
            why = "not in GloVe 6B 50-d"
        if why:
            dropped.append({"word": word, "why": why})
        else:
            kept.append({"word": word, "half": half_of(word)})
    out["negative"] = {"words": kept, "dropped": dropped, "denominator": {
        "all": len(kept), **{h: sum(w["half"] == h for w in kept)
                             for h in ("development", "test")}}}
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for key in ("fashion_mnist", "mnist", "negative"):
        print(key, out[key]["denominator"], "dropped", len(out[key]["dropped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
