"""BACA-SAYA.txt of an audit bundle: what it holds and every formula, in Bahasa Indonesia.

The formulas here are the ones ``verify_bundle.py`` computes (``link_hash``, ``links_digest``,
``seal_root``, ``file_message``); tests/audit/test_readme.py recomputes a bundle from this text's
formulas so the two cannot drift apart.
"""

from __future__ import annotations

README = """\
Bundel audit SI-RISMA
=====================

Bundel ini memuat seluruh log peristiwa SI-RISMA dan tanda tangan Ed25519 server atasnya.
Pemeriksa cukup memegang KUNCI PUBLIK server (sidik kunci bundel ini: {key_id});
kunci publik tidak dapat dipakai untuk membuat tanda tangan.

Isi
---
- events.jsonl     : seluruh peristiwa, satu baris satu peristiwa, urut nomor notifikasi.
                     Kunci "state" selalu yang terakhir dan berisi bait peristiwa PERSIS seperti
                     tersimpan (atau "state_hex" bila bait itu bukan JSON).
- events.index     : sha256 (heksadesimal) tiap baris events.jsonl (termasuk "\\n"), satu per
                     baris; menunjuk baris pertama yang berubah.
- seals.jsonl      : segel bertanda tangan: akar harian (kind = "day") dan titik periksa
                     (kind = "checkpoint"); "payload" adalah teks yang ditandatangani.
- sealed-links.txt : "<nomor notifikasi> <tautan>" untuk setiap peristiwa yang disegel.
- keys.json        : kunci penanda tangan bundel dan riwayat kunci (peristiwa
                     audit.SigningKeyActivated: sidik, kunci publik, berlaku sejak).
- rubrics/*.json   : rubrik penilaian per tahun, bait demi bait.
- evidence/<sha256>: (bila diminta) dokumen bukti; nama berkas = sha256 isinya = hash yang
                     dicatat peristiwa innovation.DocumentAttached.
- verify_bundle.py : pemeriksa mandiri (hanya pustaka standar Python dan "cryptography").
- manifest.json    : sha256 dan ukuran setiap berkas, jumlah peristiwa, akar harian, titik
                     periksa, kunci publik, hasil pemeriksaan saat ekspor.
- manifest.sig     : {{"alg": "Ed25519", "key_id": ..., "signature": <hex>}} atas bait
                     manifest.json.
- komentar zip     : "SIRISMA-ED25519:" diikuti tanda tangan Ed25519 (128 karakter hex).

Rumus (semua hash SHA-256, ditulis sebagai 64 karakter heksadesimal huruf kecil;
"\\n" = bait 0x0A; || = sambung bait; teks dikodekan ASCII/UTF-8)
-----------------------------------------------------------------------------------
1. Sidik kunci (key_id):
       key_id = sha256( 32 bait kunci publik Ed25519 mentah )

2. Tautan rantai satu peristiwa (per aliran/stream, versi v = 1, 2, ...):
       h_0 = "0" x 64
       h_v = sha256( h_(v-1) "\\n" id_aliran "\\n" v "\\n" topik "\\n" || bait_state )
   id_aliran ditulis sebagai UUID berstrip huruf kecil, v sebagai bilangan desimal.

3. Ringkasan tautan sebuah segel, atas peristiwa dengan  after < nomor_notifikasi <= last,
   urut nomor notifikasi:
       links_digest = sha256( h_1 || h_2 || ... || h_n )     (tautan sebagai teks hex)

4. Akar segel:
       root = sha256( previous_root "\\n" kind "\\n" day "\\n" after "\\n" last "\\n" n
                      "\\n" links_digest )
   - akar harian (kind "day", day = tanggal WIB): last = nomor notifikasi tertinggi di antara
     peristiwa bercap waktu sebelum akhir hari itu (WIB); after dan previous_root = last dan
     root segel hari sebelumnya (0 dan "0" x 64 untuk hari pertama). Setiap hari disegel,
     juga hari tanpa peristiwa, sehingga segel yang dihapus memutus rantai hari.
   - titik periksa (kind "checkpoint"): dari segel hari terakhir (after, previous_root) sampai
     peristiwa terakhir saat dibuat; dibuat sesuai permintaan dan pada setiap ekspor bundel.

5. Tanda tangan segel:
       payload   = JSON dengan kunci terurut, tanpa spasi, ASCII:
                   after_notification_id, created_at, day, events, first_notification_id,
                   format ("sirisma-audit-root/1"), key_id, kind, last_notification_id,
                   links_digest, previous_root, root
       signature = Ed25519( kunci privat server, bait payload )

6. Manifest dan berkas:
       manifest.sig.signature = Ed25519( kunci privat, bait manifest.json )
       komentar zip          = "SIRISMA-ED25519:" || hex( Ed25519( kunci privat,
                               "sirisma-bundle-file/1\\n" || sha256( semua bait berkas zip
                               sebelum tanda tangan itu ) ) )
       manifest.files[nama]  = {{"sha256": sha256(isi berkas), "size": jumlah bait}}

7. Akar harian lama (manifest.days, untuk pembandingan --against):
       digest_d = sha256( h_1 || h_2 || ... ) atas peristiwa bercap hari d, urut notifikasi
       root_d   = sha256( root_(d-1) "\\n" d "\\n" jumlah "\\n" digest_d ),  root_0 = "0" x 64

Pemeriksaan (tanpa basis data, tanpa server)
--------------------------------------------
    python -m venv venv && venv/bin/pip install cryptography
    venv/bin/python verify_bundle.py <bundel.zip> --public-key <kunci publik yang dipatok>

Kunci publik dipatok dari sumber terpercaya (GET /api/audit/public-key pada hari pertama,
`sirisma audit public-key`, atau surat resmi Bappeda), bukan dari bundel ini. Hasil:
kode keluar 0 = utuh; 1 = bundel diubah, kunci lain, atau log berbeda dari yang ditandatangani
(laporan menyebut baris dan peristiwa pertama yang berubah); 2 = bundel asli tetapi log yang
diekspor sudah memuat rantai putus saat ekspor.
"""


def bundle_readme(key_id: str) -> str:
    return README.format(key_id=key_id)
