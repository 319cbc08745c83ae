"""Spreadsheets the way shops really keep them: a title above the header, merged cells,
Indonesian headers, phones written every which way, ``Rp 150.000`` prices, dates typed,
as Excel serials and as real date cells, a blank row, a repeated row, a bad phone, and a
Windows-1252 CSV with ``;`` between cells and accents in the names."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook


def customers_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DATA PELANGGAN TOKO BERKAH"])
    sheet.merge_cells("A1:H1")
    sheet.append(["Update terakhir: Oktober 2026"])
    sheet.merge_cells("A2:D2")
    sheet.append([])
    sheet.append(["No.", "Nama", "No. HP", "Alamat", "Kota", "Jenis Kelamin (L/P)", "Umur",
                  "Sumber", "Catatan"])  # fmt: skip
    sheet.append([1, "Siti Aminah", "0812-3456-7890", "Jl. Darmo 12", "Surabaya", "P", 27, "IG",
                  "suka hitam"])  # fmt: skip
    sheet.append([2, "Budi Santoso", 6281311112222, "Jl. Braga 5", "Bandung", "laki-laki",
                  "41 tahun", "teman", None])  # fmt: skip
    sheet.append([])
    sheet.append([3, "Dewi", "+62 857-7777-8888", None, "Jakarta", "Perempuan", None, "tiktok",
                  None])  # fmt: skip
    sheet.append([4, "Siti Aminah", "0812-3456-7890", "Jl. Darmo 12", "Surabaya", "P", 27, "IG",
                  "suka hitam"])  # fmt: skip
    sheet.append([5, "Joko", "12345", None, "Solo", "L", None, None, None])
    sheet.append([6, "Rina", "081399990000", None, "Medan", "X", None, None, None])
    book.save(path)
    return path


def customers_cp1252_csv(path: Path) -> Path:
    path.write_bytes(
        (
            "nama;no hp;email;kota;gender;age;source\r\n"
            "Andrés Pérez;+62 812-3456-7890;andres@example.com;Surabaya;M;30;instagram\r\n"
            "Zoë Müller;0821 2222 3333;ZOE@Example.com;Denpasar;F;;google\r\n"
            "\r\n"
            "François;;;Bali;;;\r\n"
        ).encode("cp1252")
    )
    return path


def orders_xlsx(path: Path) -> Path:
    """Two orders of Siti's (one of two items), one of Budi's, one with a bad item."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["REKAP PENJUALAN"])
    sheet.merge_cells("A1:I1")
    sheet.append(["No Pesanan", "Tanggal", "Nama", "WA", "Produk", "Warna", "Ukuran", "Jumlah",
                  "Harga"])  # fmt: skip
    sheet.append(["INV-1", "05/10/2026", "Siti Aminah", "081234567890", "Kaos Polos", "Hitam",
                  "L", 2, "Rp 75.000"])  # fmt: skip
    sheet.append(["INV-1", "05/10/2026", "Siti Aminah", "081234567890", "Hijab Voal", "Mocca",
                  None, 1, "Rp45.000,00"])  # fmt: skip
    sheet.append(["INV-2", 46310, "Budi", "+62 813-1111-2222", "Kemeja Batik", "Coklat", "XL",
                  "1", "150.000"])  # fmt: skip
    sheet.append(["INV-3", datetime(2026, 11, 1, 14, 30), "Siti Aminah", "0812 3456 7890",
                  "Tote Bag Kanvas", None, None, 3, None])  # fmt: skip
    sheet.append(["INV-4", date(2026, 11, 3), "Budi", "081311112222", "Kaos Polos", "Putih",
                  "M", 1, 75000])  # fmt: skip
    sheet.append(["INV-4", date(2026, 11, 3), "Budi", "081311112222", "Kaos Polos", "Navy",
                  "M", "dua", 75000])  # fmt: skip
    book.save(path)
    return path
