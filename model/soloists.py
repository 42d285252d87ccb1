"""The 78 soloists of the Weimar Jazz Database: display names and the era each one is filed under.

The era is a property of the player, not of the single recording: it says which vocabulary a style
request ("like a bebop player") should draw on. Players whose solos in the database span styles are
filed where most of their solos there sit (Miles Davis: mostly the 1950s quintets, so hard bop;
Coltrane: mostly 1959-63, so post-bop). Free and fusion players are filed under post-bop, which has
no separate free-jazz class here. Joe Henderson and Freddie Hubbard play 1960s Blue Note and Miles
Davis repertoire (Maiden Voyage, Speak No Evil, In 'n Out) in a modal, angular idiom: post-bop.
"""

from __future__ import annotations

import re

ERAS: tuple[str, ...] = ("traditional", "swing", "bebop", "cool", "hardbop", "postbop")

# performer id (the file-name prefix) -> (display name, era)
SOLOISTS: dict[str, tuple[str, str]] = {
    # traditional: New Orleans and Chicago, 1920s
    "LouisArmstrong": ("Louis Armstrong", "traditional"),
    "BixBeiderbecke": ("Bix Beiderbecke", "traditional"),
    "JohnnyDodds": ("Johnny Dodds", "traditional"),
    "SidneyBechet": ("Sidney Bechet", "traditional"),
    "KidOry": ("Kid Ory", "traditional"),
    # swing: the big-band and small-group soloists of the 1930s and 1940s
    "ColemanHawkins": ("Coleman Hawkins", "swing"),
    "LesterYoung": ("Lester Young", "swing"),
    "BennyGoodman": ("Benny Goodman", "swing"),
    "BennyCarter": ("Benny Carter", "swing"),
    "RoyEldridge": ("Roy Eldridge", "swing"),
    "DonByas": ("Don Byas", "swing"),
    "LionelHampton": ("Lionel Hampton", "swing"),
    "BenWebster": ("Ben Webster", "swing"),
    "BuckClayton": ("Buck Clayton", "swing"),
    "ChuBerry": ("Chu Berry", "swing"),
    "DickieWells": ("Dickie Wells", "swing"),
    "HarryEdison": ("Harry Edison", "swing"),
    "JohnnyHodges": ("Johnny Hodges", "swing"),
    "RexStewart": ("Rex Stewart", "swing"),
    "CharlieShavers": ("Charlie Shavers", "swing"),
    "HenryAllen": ("Henry Allen", "swing"),
    "JCHigginbotham": ("J.C. Higginbotham", "swing"),
    # bebop
    "CharlieParker": ("Charlie Parker", "bebop"),
    "DizzyGillespie": ("Dizzy Gillespie", "bebop"),
    "FatsNavarro": ("Fats Navarro", "bebop"),
    "SonnyStitt": ("Sonny Stitt", "bebop"),
    "JJJohnson": ("J.J. Johnson", "bebop"),
    "KaiWinding": ("Kai Winding", "bebop"),
    "MiltJackson": ("Milt Jackson", "bebop"),
    "PhilWoods": ("Phil Woods", "bebop"),
    # cool
    "ChetBaker": ("Chet Baker", "cool"),
    "LeeKonitz": ("Lee Konitz", "cool"),
    "PaulDesmond": ("Paul Desmond", "cool"),
    "StanGetz": ("Stan Getz", "cool"),
    "WarneMarsh": ("Warne Marsh", "cool"),
    "GerryMulligan": ("Gerry Mulligan", "cool"),
    "ArtPepper": ("Art Pepper", "cool"),
    "ZootSims": ("Zoot Sims", "cool"),
    # hard bop
    "SonnyRollins": ("Sonny Rollins", "hardbop"),
    "CliffordBrown": ("Clifford Brown", "hardbop"),
    "LeeMorgan": ("Lee Morgan", "hardbop"),
    "CannonballAdderley": ("Cannonball Adderley", "hardbop"),
    "NatAdderley": ("Nat Adderley", "hardbop"),
    "HankMobley": ("Hank Mobley", "hardbop"),
    "KennyDorham": ("Kenny Dorham", "hardbop"),
    "CurtisFuller": ("Curtis Fuller", "hardbop"),
    "PepperAdams": ("Pepper Adams", "hardbop"),
    "DexterGordon": ("Dexter Gordon", "hardbop"),
    "RedGarland": ("Red Garland", "hardbop"),
    "MilesDavis": ("Miles Davis", "hardbop"),
    "PatMartino": ("Pat Martino", "hardbop"),
    # post-bop (with the free and fusion players)
    "JohnColtrane": ("John Coltrane", "postbop"),
    "WayneShorter": ("Wayne Shorter", "postbop"),
    "HerbieHancock": ("Herbie Hancock", "postbop"),
    "FreddieHubbard": ("Freddie Hubbard", "postbop"),
    "JoeHenderson": ("Joe Henderson", "postbop"),
    "GeorgeColeman": ("George Coleman", "postbop"),
    "WoodyShaw": ("Woody Shaw", "postbop"),
    "EricDolphy": ("Eric Dolphy", "postbop"),
    "DonEllis": ("Don Ellis", "postbop"),
    "KennyWheeler": ("Kenny Wheeler", "postbop"),
    "DavidLiebman": ("David Liebman", "postbop"),
    "MichaelBrecker": ("Michael Brecker", "postbop"),
    "BobBerg": ("Bob Berg", "postbop"),
    "ChrisPotter": ("Chris Potter", "postbop"),
    "JoeLovano": ("Joe Lovano", "postbop"),
    "BranfordMarsalis": ("Branford Marsalis", "postbop"),
    "WyntonMarsalis": ("Wynton Marsalis", "postbop"),
    "KennyGarrett": ("Kenny Garrett", "postbop"),
    "JoshuaRedman": ("Joshua Redman", "postbop"),
    "SteveTurre": ("Steve Turre", "postbop"),
    "VonFreeman": ("Von Freeman", "postbop"),
    "SteveLacy": ("Steve Lacy", "postbop"),
    "OrnetteColeman": ("Ornette Coleman", "postbop"),
    "DavidMurray": ("David Murray", "postbop"),
    "SteveColeman": ("Steve Coleman", "postbop"),
    "JohnAbercrombie": ("John Abercrombie", "postbop"),
    "PatMetheny": ("Pat Metheny", "postbop"),
}
UNKNOWN_ERA = "postbop"
"""The era of a performer missing from the table (a file added later): the latest, widest style."""

# performer id -> the instrument of his or her solos in the database, named as the bot's lead
# instruments are (model.arrange.LEADS), so "like Miles Davis" is heard on a trumpet. Cornet and
# flugelhorn play as the trumpet; the baritone saxophone, which no lead covers, is left out (such a
# request keeps the default lead). Where a player doubles, the instrument of most of his solos here,
# told by their range: Liebman's are soprano but for two, Stitt's (the 1949-50 Prestige sessions) tenor,
# Coltrane's tenor but for "My Favorite Things".
INSTRUMENTS: dict[str, str] = {
    "LouisArmstrong": "trumpet",
    "BixBeiderbecke": "trumpet",
    "JohnnyDodds": "clarinet",
    "SidneyBechet": "soprano sax",
    "KidOry": "trombone",
    "ColemanHawkins": "tenor sax",
    "LesterYoung": "tenor sax",
    "BennyGoodman": "clarinet",
    "BennyCarter": "alto sax",
    "RoyEldridge": "trumpet",
    "DonByas": "tenor sax",
    "LionelHampton": "vibraphone",
    "BenWebster": "tenor sax",
    "BuckClayton": "trumpet",
    "ChuBerry": "tenor sax",
    "DickieWells": "trombone",
    "HarryEdison": "trumpet",
    "JohnnyHodges": "alto sax",
    "RexStewart": "trumpet",
    "CharlieShavers": "trumpet",
    "HenryAllen": "trumpet",
    "JCHigginbotham": "trombone",
    "CharlieParker": "alto sax",
    "DizzyGillespie": "trumpet",
    "FatsNavarro": "trumpet",
    "SonnyStitt": "tenor sax",
    "JJJohnson": "trombone",
    "KaiWinding": "trombone",
    "MiltJackson": "vibraphone",
    "PhilWoods": "alto sax",
    "ChetBaker": "trumpet",
    "LeeKonitz": "alto sax",
    "PaulDesmond": "alto sax",
    "StanGetz": "tenor sax",
    "WarneMarsh": "tenor sax",
    "ArtPepper": "alto sax",
    "ZootSims": "tenor sax",
    "SonnyRollins": "tenor sax",
    "CliffordBrown": "trumpet",
    "LeeMorgan": "trumpet",
    "CannonballAdderley": "alto sax",
    "NatAdderley": "trumpet",
    "HankMobley": "tenor sax",
    "KennyDorham": "trumpet",
    "CurtisFuller": "trombone",
    "DexterGordon": "tenor sax",
    "RedGarland": "piano",
    "MilesDavis": "trumpet",
    "PatMartino": "jazz guitar",
    "JohnColtrane": "tenor sax",
    "WayneShorter": "tenor sax",
    "HerbieHancock": "piano",
    "FreddieHubbard": "trumpet",
    "JoeHenderson": "tenor sax",
    "GeorgeColeman": "tenor sax",
    "WoodyShaw": "trumpet",
    "EricDolphy": "alto sax",
    "DonEllis": "trumpet",
    "KennyWheeler": "trumpet",
    "DavidLiebman": "soprano sax",
    "MichaelBrecker": "tenor sax",
    "BobBerg": "tenor sax",
    "ChrisPotter": "tenor sax",
    "JoeLovano": "tenor sax",
    "BranfordMarsalis": "tenor sax",
    "WyntonMarsalis": "trumpet",
    "KennyGarrett": "alto sax",
    "JoshuaRedman": "tenor sax",
    "SteveTurre": "trombone",
    "VonFreeman": "tenor sax",
    "SteveLacy": "soprano sax",
    "OrnetteColeman": "alto sax",
    "DavidMurray": "tenor sax",
    "SteveColeman": "alto sax",
    "JohnAbercrombie": "jazz guitar",
    "PatMetheny": "jazz guitar",
}


def split_camel_case(text: str) -> str:
    """``"BluesForBlanche"`` -> ``"Blues For Blanche"``, ``"ANightInTunisia"`` -> ``"A Night In
    Tunisia"``, ``"Playin'InTheYard"`` -> ``"Playin' In The Yard"``; initials (``"U.M.M.G."``) stay."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z0-9(])", " ", text)
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)  # "ANight" -> "A Night"
    text = re.sub(r"(?<=[a-z]')(?=[A-Z])", " ", text)  # "Playin'In" -> "Playin' In"
    text = re.sub(r"(?<=\.)(?=[A-Z][a-z])", " ", text)  # "K.C.Blues" -> "K.C. Blues"
    return re.sub(r",(?=\S)", ", ", text)


def performer_name(performer_id: str) -> str:
    """Display name of a performer id; an id outside the table is split at its capitals."""
    known = SOLOISTS.get(performer_id)
    return known[0] if known else split_camel_case(performer_id)


def performer_era(performer_id: str) -> str:
    known = SOLOISTS.get(performer_id)
    return known[1] if known else UNKNOWN_ERA


def instrument_of(name: str) -> str | None:
    """The lead instrument of the soloist with display name ``name`` ("Miles Davis" -> "trumpet"), or
    None for an era, an unknown name or a player no lead instrument covers."""
    for performer, (display, _era) in SOLOISTS.items():
        if display == name:
            return INSTRUMENTS.get(performer)
    return None
