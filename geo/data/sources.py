"""The raw inputs of the build: each file's path under the raw folder with the sha256 the build
was written for (:data:`RAW_INPUTS`), attributions, and :func:`verify_raw`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_RAW = PROJECT_ROOT.parent / "shared" / "data" / "raw"

#: Analysis CRS (British National Grid) and web CRS.
BNG = "EPSG:27700"

WGS84 = "EPSG:4326"

ATTRIBUTION_BOUNDARIES = (
    "Contains National Statistics data © Crown copyright and database right. "
    "Contains Ordnance Survey data © Crown copyright and database right."
)

ATTRIBUTION_IOD = (
    "English Indices of Deprivation, Ministry of Housing, Communities and Local Government, OGL."
)

ATTRIBUTION_CENSUS = (
    "Office for National Statistics, Census 2021 and Census 2011, © Crown copyright, OGL."
)

ATTRIBUTION_POP = (
    "Office for National Statistics mid-2020 population estimates, © Crown copyright, OGL."
)

#: Raw inputs, relative to the raw folder, with the sha256 this build was written against.
RAW_INPUTS: dict[str, str] = {
    "boundaries/london-2021/london-2021-lsoa-gen20.shp": "ac965ab4279bc2c01cf2b539890645231dea67480c5eaa43b977d6fac028f4d0",
    "boundaries/london-2021/london-2021-lsoa-gen20.shx": "928f17d5be0bcf8007075e716ceb71db024bbe93d23a4e51fc2bb6a0da24ea20",
    "boundaries/london-2021/london-2021-lsoa-gen20.dbf": "3462cc02346975959948b4a6e381ab162eb1f910e1c46442465534ca9c4f04bb",
    "boundaries/london-2021/london-2021-lsoa-gen20.prj": "d97d276680377a05a19a8b8030ae04c4a87e883a9e5c07d0c646e5402e773a89",
    "boundaries/london-2021/london-2021-lsoa-gen20.cpg": "09fc313075748ce8ead962229ed89c919d5a9ff71974ee725a0b48bb87d975a2",
    "boundaries/london-2021/london-2021-lad22-gen20.shp": "6797e5dd2eeb4892da0eee42ce169885715a34741994cfa5dd343898cc33644e",
    "boundaries/london-2021/london-2021-lad22-gen20.shx": "a24236d0e7b05ff663ac3436e10a94dcc1cc89cc8864e856a2f109204fa8e28b",
    "boundaries/london-2021/london-2021-lad22-gen20.dbf": "3da8f72618c2147c7bbd6cf29ade11853b43464d4c3fbeea3a481a5e050d1ce3",
    "boundaries/london-2021/london-2021-lad22-gen20.prj": "d97d276680377a05a19a8b8030ae04c4a87e883a9e5c07d0c646e5402e773a89",
    "boundaries/london-2021/london-2021-lad22-gen20.cpg": "09fc313075748ce8ead962229ed89c919d5a9ff71974ee725a0b48bb87d975a2",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.shp": "02773dbcb524c8a95e359c6634545a75f92e775168540d09ab2853c5e84642b4",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.shx": "b72619c33e9081704d6903320700f74ba8b1fc6d125fbd2ddf38761ea98bb903",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.dbf": "29cb00a5131e0b55fad7afe56d8119f81608c7d67251e6278d66bb01c7653a07",
    "boundaries/london-2011/LSOA_2011_London_gen_MHW.prj": "136e03e16e6030eb237481d1494e903d21844a4cf255d69be88985d3dfccc616",
    "boundaries/london-2011/London_Borough_Excluding_MHW.shp": "5d296f021b931c091b9b97fdfb4118406ee82376f7f1a73bf348236b1f68c0a5",
    "boundaries/london-2011/London_Borough_Excluding_MHW.shx": "743d103b9b1210cb3337f8e1723b03ead25377443f8b3a7635d699bf38702400",
    "boundaries/london-2011/London_Borough_Excluding_MHW.dbf": "6391c2d0a91adc887eb424d7caa590de0575d4b5e039ae7ddd3fc75af1e9e275",
    "boundaries/london-2011/London_Borough_Excluding_MHW.prj": "fdd6daa5b46cf1186ebbbb0f44d8c1aee9fc6f5022698f90f6629281925ea8ad",
    "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv": "e82cc5533ba7c54e12426fbb39a1d472749e9c4115cc4cd3640f3ca59d77af08",
    "deprivation/iod2019/ID_2019_for_London_GLA.xlsx": "4fc715fdcf03ce7be3addbd43ae1de0e5466d5b4fc8d4c3a3c6a5450e4b1ae8c",
    "population/london-lsoa11-mid2020-pop.csv": "37825a0026b3b68c3ccc7df56582307c64e7ac0782ea9b7b8b3133187bb28f3c",
    "population/census2021-ts007a/census2021-ts007a-lsoa.csv": "61b4601ca535365ee8e1f0c27681123252009e7161479bd161486c3d50491ed9",
    "health/census2021-ts038-disability-lsoa21.csv": "bb74851b0c77fcc4dabaf959c086956993a74a66f7bc9bb25f4cc3f19cd7683c",
    "lookups/lsoa11_lsoa21_ltla22_exact_fit.csv": "ddc782616aab916dc373169ff6d87bf3763c1c6fcb06068902f6de9bd3a02725",
    "tenure/census2021-ts054/census2021-ts054-lsoa.csv": "78bdbbc5d3c75d9317860e280b852aaa9d78bfd57bbc14419d5cc340ea86b302",
    "tenure/census2011-ks402ew/census2011-tenure-lsoa.csv": "de42c3292426b629d47ec0a2ce2dc2f711c738ae54903c002bf0b633078ce627",
    "postcodes/codepoint-open-2025-04/codepo_gb.zip": "b2465fc8ae990def9a66fc5aa8a97d99725e722aba48a4ac2a413b55829d07ff",
    "social-prescribing/nhs-2025/gp_prac_pat_map_2025.parquet": "7b4f685279e6cf58d3430dbe1ae21e12b31a80e81657435b11b7ff03f3a74a3e",
    "social-prescribing/nhs-2025/gp_prac_reg_all_2025.parquet": "e69dda79a25b580df2b8451407e4af0c8a62cbd7f415938a218fdf6667152ad0",
    "social-prescribing/nhs-2025/pcn_workforce_networks_individual_level_nov2025.parquet": "46b479f75f4316bc2ac1b823ecf9b9a3f91f4785f62fd61f8b40fb317bef2c9e",
    "services/nhs/edispensary-2025-03.csv": "993ff1410582a4f1e55937ff5a75b799037f61dc35b3ef804bab274d4f30abc0",
    "services/libraries/libraries_england_2023.csv": "a2b3db9bbae042603c9ad897827cfe5c9219cd714b1d2771494b41f272c7e8a1",
    "services/libraries/libraries.csv": "53f86d053951713893b0efc60ce03f620d10d33fd4ef6e3198e17426d7c7d3f2",
    "services/gla-cultural-infrastructure/Community_centres.csv": "22c0f4092fa547c20be03bd8eb6fa9fdbe13d877927955dab8d57a70a9ffac4a",
    "services/os-open-greenspace/Greenspace.gpkg": "9c777ac3ace97fc1b3b043675be0f3a6fb4d07be2720184417d504ee874bf058",
    "services/osm-2019/gis_osm_pofw_free_1.shp": "362e0b0f0020b578a4d95541d1ae4dbce89fc294fed18e69fcd3a0fdeb191ae9",
    "services/osm-2019/gis_osm_pofw_free_1.shx": "58de016bfa43508e8ec97067b17bf0c9865bdce455e93f23e60bd17e40166879",
    "services/osm-2019/gis_osm_pofw_free_1.dbf": "0185af459c1daab6dca010ad0d7b96e1768108e8ad74cc881cd0edb3a7eaa9ef",
    "services/osm-2019/gis_osm_pofw_free_1.prj": "ffc9162903c37f0867d1e7f36c20036a165f7aa555dda24c1ae0ee4328d2977f",
    "services/osm-2019/gis_osm_pofw_free_1.cpg": "146d6789ffe033a5297c1ad046e6a62ee35319b86b021444f05b6ea2aa8a1f4a",
    "services/osm-2019/gis_osm_pofw_a_free_1.shp": "535b9589e8a8d09c27dd6273c82c086a6564855de92440a4e1e9685f66076ca0",
    "services/osm-2019/gis_osm_pofw_a_free_1.shx": "e9fe7f69db5075e94aeb61198ad99dc8b64207e98519bfeab212690cc5c2a779",
    "services/osm-2019/gis_osm_pofw_a_free_1.dbf": "6861db286cfa6650271a58d476c518cafd4d914b15d2afba9908c0e7f1f6271f",
    "services/osm-2019/gis_osm_pofw_a_free_1.prj": "ffc9162903c37f0867d1e7f36c20036a165f7aa555dda24c1ae0ee4328d2977f",
    "services/osm-2019/gis_osm_pofw_a_free_1.cpg": "146d6789ffe033a5297c1ad046e6a62ee35319b86b021444f05b6ea2aa8a1f4a",
    "services/dwp/jobcentres.csv": "14d27fbfaa09568dca0d1d0524959e38eda4ba6d3de41334bb0f95f40d9305ca",
    "services/givefood/london_foodbanks.csv": "7dc454efcbd59b2bc0a054d74f22b635490c6ed918a0af29c1d1764ef429d950",
    "services/coopsuk/coopsuk_2023-03-02_standard.csv": "8853181fcd7d5e0858297350717ce77f6f53e2522331fc9902f67a5ccfccd131",
    "social-prescribing/gp-reg-lsoa-2023/gp-reg-pat-prac-lsoa-all-jul2023.csv.gz": "5c18d35ea58e47c80316ee60b523973a7ad6f352bf5e32b9560ec271c26c26e7",
    "transport/ptal-2015/LSOA2011 AvPTAI2015.csv": "90dfff7eb4f90c7a5c247223d55de1cd4f201f4d5b25990660e31248db961901",
    "geography/ons-pwc-2021/oa21_pwc.json.gz": "2c026983e93bf575854d338577e4c312ba86fea87927646b5c13c8ddecc53c4a",
    "population/census2021-ts001-oa/TS001_residence_type_2021.csv.gz": "41547fae008d8d5be8c7ca33e26d0139484bf3136597b3ebc0f7b1e1123a6454",
    "streets/osm-camden/camden.osm.pbf": "49c868c4ac3de3b9365d3affbfa97856f09ef149258db96001e21be326641191",
}

LSOA21 = "boundaries/london-2021/london-2021-lsoa-gen20"

LAD22 = "boundaries/london-2021/london-2021-lad22-gen20"

LSOA11 = "boundaries/london-2011/LSOA_2011_London_gen_MHW"

BOR11 = "boundaries/london-2011/London_Borough_Excluding_MHW"

IOD25 = "deprivation/iod2025/iod2025_lsoa21_scores_ranks_deciles.csv"

IOD19 = "deprivation/iod2019/ID_2019_for_London_GLA.xlsx"

POP20 = "population/london-lsoa11-mid2020-pop.csv"


class BuildError(RuntimeError):
    """The raw data cannot be built into processed data; the message says what to fix."""


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_raw(raw: Path, expected: dict[str, str] | None = None) -> dict[str, str]:
    """Check every pinned raw input exists and has the expected sha256.

    Returns
    -------
    dict
        Relative path -> sha256 of each verified file.

    Raises
    ------
    BuildError
        Naming every missing or altered file, and what to do.
    """
    expected = RAW_INPUTS if expected is None else expected
    raw = Path(raw)
    if not raw.is_dir():
        raise BuildError(
            f"Raw data folder not found: {raw}. Put the official files there "
            "(see ../shared/data/raw/SOURCES.md) or pass --raw DIR."
        )
    missing, altered, seen = [], [], {}
    for rel, sha in sorted(expected.items()):
        path = raw / rel
        if not path.is_file():
            missing.append(rel)
            continue
        got = sha256_file(path)
        if got != sha:
            altered.append(f"{rel} (sha256 {got[:12]}…, expected {sha[:12]}…)")
        seen[rel] = got
    problems = []
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if altered:
        problems.append("altered: " + ", ".join(altered))
    if problems:
        raise BuildError(
            f"Raw data in {raw} does not match the files this build was written for; "
            + "; ".join(problems)
            + ". Restore the official files listed in SOURCES.md (check with `sha256sum -c "
            "SHA256SUMS`), or, for a deliberate new release, update RAW_INPUTS in geo/data/sources.py."
        )
    return seen


def shapefile_parts(stem: str) -> list[str]:
    """The pinned raw files of one shapefile (.shp, .shx, .dbf, .prj and .cpg where present)."""
    return [rel for rel in RAW_INPUTS if rel.rsplit(".", 1)[0] == stem]


TENURE21 = "tenure/census2021-ts054/census2021-ts054-lsoa.csv"

TENURE11 = "tenure/census2011-ks402ew/census2011-tenure-lsoa.csv"

TS007A = "population/census2021-ts007a/census2021-ts007a-lsoa.csv"

TS038 = "health/census2021-ts038-disability-lsoa21.csv"

LOOKUP = "lookups/lsoa11_lsoa21_ltla22_exact_fit.csv"

CODEPOINT = "postcodes/codepoint-open-2025-04/codepo_gb.zip"

PRAC_MAP = "social-prescribing/nhs-2025/gp_prac_pat_map_2025.parquet"

PRAC_REG = "social-prescribing/nhs-2025/gp_prac_reg_all_2025.parquet"

PCN_WF = "social-prescribing/nhs-2025/pcn_workforce_networks_individual_level_nov2025.parquet"

#: NHS ODS dispensing contractors (edispensary.csv), extract of about March 2025.
EDISPENSARY = "services/nhs/edispensary-2025-03.csv"

LIB_ACE = "services/libraries/libraries_england_2023.csv"

LIB_HACKED = "services/libraries/libraries.csv"

COMMUNITY = "services/gla-cultural-infrastructure/Community_centres.csv"

GREENSPACE = "services/os-open-greenspace/Greenspace.gpkg"

POFW_POINTS = "services/osm-2019/gis_osm_pofw_free_1"

POFW_AREAS = "services/osm-2019/gis_osm_pofw_a_free_1"

JOBCENTRES = "services/dwp/jobcentres.csv"

#: Give Food's London food banks (about mid-2024).
GIVEFOOD = "services/givefood/london_foodbanks.csv"

#: Co-operatives UK open data (Q2 2023).
COOPSUK = "services/coopsuk/coopsuk_2023-03-02_standard.csv"

#: Patients Registered at a GP Practice, July 2023, per practice and LSOA 2011.
REG_LSOA = "social-prescribing/gp-reg-lsoa-2023/gp-reg-pat-prac-lsoa-all-jul2023.csv.gz"

#: TfL PTAL 2015, average access index per LSOA 2011.
PTAL_CSV = "transport/ptal-2015/LSOA2011 AvPTAI2015.csv"


OA_PWC = "geography/ons-pwc-2021/oa21_pwc.json.gz"

TS001 = "population/census2021-ts001-oa/TS001_residence_type_2021.csv.gz"

#: The bundled OpenStreetMap extract the default build measures walking on (Camden, 2021).
STREETS_CAMDEN = "streets/osm-camden/camden.osm.pbf"

ATTRIBUTION_OSM_STREETS = (
    "Street and footpath network © OpenStreetMap contributors, Open Database License 1.0."
)

ATTRIBUTION_OA = (
    "Office for National Statistics: Output Areas (2021) population-weighted centroids and "
    "Census 2021 TS001, © Crown copyright and database right, OGL. Contains OS data © Crown "
    "copyright and database right."
)


class SourceError(ValueError):
    """A raw file does not have the layout this reader was written for."""


def need_columns(df: pd.DataFrame, cols, name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SourceError(f"{name}: columns {missing} not found (found {list(df.columns)[:12]})")
