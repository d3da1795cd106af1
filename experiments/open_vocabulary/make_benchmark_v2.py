#!/usr/bin/env python
"""Writes the second open-vocabulary benchmark, pse_tf/labels/benchmark_words_v2.json, once.

Why a second list: the first (benchmark_words.json) had its test half scored several times while
rules were being added, and some rules fixed exactly the test words whose misses had been read;
its test figures are optimistic. This list is scored once, after the last rule change, and never
tuned on.

Provenance: every word below was written by hand from general knowledge of clothing, of numbers
(numerals in words, other languages' number words, ordinals, multiplicative words, group nouns,
slang) and of everyday English, before any rule or model saw it, and not taken from WordNet's
hierarchy. The knowledge table was not consulted while writing. Each word's intended class is
fixed here ("several" with the classes it honestly fits). The only filters are vocabulary checks:

- the word (one GloVe 6B 50-d token; a few negatives are two-word phrases of GloVe tokens) must
  be in GloVe 6B 50-d;
- it must not be in the first benchmark or in unseen_words.json;
- it must not be a class name, a class name plus "s"/"es", or a numeral 0-20 (these are seen).

Dropped words are listed in the file with the reason. Every kept word is in the "test" half:
there is no development half. The denominators are written in the file.

    python -m experiments.open_vocabulary.make_benchmark_v2     # refuses to overwrite the file
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

LABELS = Path(__file__).resolve().parents[2] / "pse_tf" / "labels"
OUT = LABELS / "benchmark_words_v2.json"

FASHION = {
    "t-shirt": "tank racerback bandeau bustier corset bralette polos vests camis",
    "trouser": "chino chinos legging cords bloomers gauchos flannels lederhosen salwar shalwar "
               "levis wranglers jeggings hotpants bermudas sweats strides palazzo trousered "
               "pyjama",
    "pullover": "woolly woollies fleeces cardy aran knit knits hoody gansey twinset "
                "crewnecks pullovered v-neck",
    "dress": "sheath tutu chemise negligee nightie nighties sarong hanbok abaya burqa chador "
             "jilbab kaftans caftans saris sarees skirts miniskirt miniskirts petticoat "
             "crinoline dirndls pinafores housedress chiton toga gymslip shirtdress peplum "
             "ballgowns nightgowns",
    "coat": "macs oilskin slicker puffer bomber blouson furs sheepskin cagoules windbreakers "
            "capes cloaks redingote ulster chesterfield pelisse duster burberry gilet "
            "bodywarmer doublet jerkin greatcoats mackintoshes sportcoats peacoats tuxedos",
    "sandal": "thongs slides teva tevas chappal chappals zori huarache slingback sabot sabots "
              "kolhapuri alpargatas caligae paduka",
    "shirt": "dashiki henley barong kurtas camisas guayaberas nightshirt shirtsleeves "
             "tunics",
    "sneaker": "runners kicks tennies pumps converse adidas nike reebok vans jordans cleats "
               "asics pumas skechers sandshoes daps",
    "bag": "daypack bumbag fannypack pocketbooks valise portmanteau carpetbag kitbag saddlebag "
           "saddlebags pouches sporran schoolbag bookbag suitcases baggage bindle holdalls "
           "carryalls panniers pannier musette wristlet",
    "ankle boot": "chelsea galosh wellington welly mukluks mukluk ugg hobnailed martens "
                  "timberlands waders buskins valenki clodhoppers brogans bootees",
}
FASHION_SEVERAL = {
    "suit": ["coat", "trouser"], "suits": ["coat", "trouser"], "pantsuit": ["coat", "trouser"],
    "moccasins": ["sneaker", "sandal"], "loafers": ["sneaker", "sandal"],
    "kilt": ["dress"], "kilts": ["dress"], "bolero": ["coat", "pullover"],
    "romper": ["dress", "trouser"], "onesie": ["pullover", "trouser"],
    "leotard": ["t-shirt", "dress"], "camisoles": ["t-shirt"],
}

MNIST = {
    "zero": "zeroes nothing none nix aught bupkis zippo nul nichts rien niente zéro nolla "
            "shunya sifr nullity",
    "one": "ones lone sole unity monad mono een ein eine odin ichi ek bir yksi unus ena moja "
           "primera premier primus firsts oneness",
    "two": "duet duality doubles deuces couplet binary dva iki kaksi pairs couples brace "
           "duplex bipartite doubly segunda seconde secondo doubled",
    "three": "trilogy triplicate tri tercet triplex drie tatu kolme tertiary tercera terzo "
             "tertius triune trebled tripled tripling triads trios",
    "four": "quatro quaternary tetralogy cuarto quarto quatrain foursomes quadrennial "
            "quadriga vierde dört neljä tetra quartets quadrupled quads",
    "five": "pentagon pentagram quinta vijf tano viisi panch fivers quinary cinquain "
            "quincunx pentameter lustrum fifths quintets quintupled fin",
    "six": "hexagon sextets zes sita kuusi hexa senary sexta sesto sixths hexameter "
           "hexagram sexennial",
    "seven": "heptagon septets septuplet zeven yedi seitsemän sept septima settimo septenary "
             "sevenths hepta heptathlon septennial",
    "eight": "octagon octave octets otto nane sekiz kahdeksan octava ottavo octonary eighths "
             "octuplet octagonal",
    "nine": "nonagon novena negen tisa dokuz yhdeksän nono ninths nonary enneagram niner "
            "nona",
}
MNIST_SEVERAL = {}

NEGATIVE = """
keyboard volcano elephant butterfly sandwich pizza library museum airport battery microscope
saxophone tractor submarine penguin giraffe lemon carrot pepper onion doctor teacher lawyer
parliament treaty vaccine virus galaxy comet glacier canyon meadow harbor castle tunnel stadium
chess poetry sculpture painting jazz opera kangaroo tiger wolf eagle salmon whale oxygen copper
diamond marble concrete steel plastic laptop printer smartphone internet algorithm vote tax budget
inflation courage honesty wisdom anxiety swiftly gently purple yellow tall narrow ancient curious
fashion fabric textile cotton wool silk leather nylon polyester velvet zipper sleeve collar hanger
wardrobe tailor seamstress needle thread laundry mannequin catwalk
beret fedora bonnet turban mitten mittens bowtie cufflinks brooch tiara sombrero beanie bandana
handkerchief
number digit numeral integer fraction decimal arithmetic calculator abacus equation sum total
average prime countless dozens zillion gazillion trillion googol fourteen sixteen seventeen
eighteen nineteen sixty seventy eighty ninety thousandth millionth hundreds thousands tenfold
hundredfold dix zehn diez dieci onze vingt veinte zwanzig
""".split()
NEGATIVE_PHRASES = ["blue sky", "fresh bread", "eighty four", "three hundred", "silk scarf",
                    "old man"]


def main() -> int:
    if OUT.exists():
        print(f"{OUT} exists: the benchmark is frozen; not overwriting", file=sys.stderr)
        return 1
    from pse_tf.data.datasets import CLASS_NAMES
    from pse_tf.labels import load_word_vectors

    kv = load_word_vectors()
    v1 = json.loads((LABELS / "benchmark_words.json").read_text(encoding="utf-8"))
    unseen = json.loads((LABELS / "unseen_words.json").read_text(encoding="utf-8"))
    earlier = {w["word"].lower() for k in ("fashion_mnist", "mnist", "negative")
               for w in v1[k]["words"]}
    earlier |= {w["word"].lower() for k, ws in unseen.items() if not k.startswith("_")
                for w in ws}
    seen_forms = {str(n) for n in range(21)}
    for names in CLASS_NAMES.values():
        seen_forms |= {f"{n}{s}".lower() for n in names for s in ("", "s", "es")}

    def check(word):
        if word.lower() in earlier:
            return "in the first benchmark or unseen_words.json"
        if word.lower() in seen_forms:
            return "a class name, its plural or a numeral 0-20"
        if not all(t in kv.key_to_index for t in word.lower().split()):
            return "not in GloVe 6B 50-d"
        return None

    out = {"_about": __doc__.split("\n\n    python")[0].strip(),
           "_written": str(datetime.date.today()), "_split": "every word is in the test half"}
    listed = set()
    for dataset, single, several in (("fashion_mnist", FASHION, FASHION_SEVERAL),
                                     ("mnist", MNIST, MNIST_SEVERAL)):
        names = CLASS_NAMES[dataset]
        entries = [(w, c, [c]) for c, ws in single.items() for w in ws.split()]
        entries += [(w, "several" if len(cs) > 1 else cs[0], cs) for w, cs in several.items()]
        kept, dropped = [], []
        for word, intended, classes in entries:
            assert all(c in names for c in classes), (word, classes)
            why = "listed twice" if word in listed else check(word)
            listed.add(word)
            if why:
                dropped.append({"word": word, "class": intended, "why": why})
            else:
                kept.append({"word": word, "class": intended, "classes": classes,
                             "half": "test"})
        out[dataset] = {"words": kept, "dropped": dropped,
                        "denominator": {"all": len(kept), "development": 0, "test": len(kept)}}
    kept, dropped = [], []
    for word in [*NEGATIVE, *NEGATIVE_PHRASES]:
        why = "listed twice" if word in listed else check(word)
        listed.add(word)
        if why:
            dropped.append({"word": word, "why": why})
        else:
            kept.append({"word": word, "half": "test"})
    out["negative"] = {"words": kept, "dropped": dropped,
                       "denominator": {"all": len(kept), "development": 0, "test": len(kept)}}
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for key in ("fashion_mnist", "mnist", "negative"):
        print(key, out[key]["denominator"]["all"], "kept;", len(out[key]["dropped"]), "dropped:",
              " ".join(d["word"] for d in out[key]["dropped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
