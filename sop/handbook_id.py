"""The starting SOP of an Indonesian online shop, in Bahasa Indonesia: every step of the four stages,
with the targets that measure them and a short quiz per stage. `seed_demo` loads it; a seller edits
it in the app from there (each edit is a new version)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

OWNER, ADMIN, CS, WAREHOUSE, FINANCE = "Owner", "Admin", "Customer Service", "Warehouse", "Finance"

# (stage, code, title, roles, body lines, targets [(metric, threshold, goal %)])
STEPS = [
    ("pre_sale", "riset-pasar", "Riset pasar dan harga pesaing", [OWNER, ADMIN], [
        "Setiap Senin cek 5 toko pesaing teratas per kategori di Shopee, Tokopedia/TikTok Shop dan Lazada.",
        "Catat harga, ongkir, voucher dan rating pesaing di menu Katalog > Harga pesaing.",
        "Tandai produk kita yang lebih mahal >10% dari rata-rata pesaing untuk dibahas di evaluasi mingguan.",
        "Cari kata kunci yang dipakai pembeli (kolom pencarian marketplace) dan pakai di judul produk.",
    ], []),
    ("pre_sale", "foto-deskripsi", "Foto dan deskripsi produk", [ADMIN], [
        "Minimal 5 foto per produk: latar putih, detail bahan, dipakai/digunakan, ukuran, kemasan.",
        "Judul: merek + nama produk + bahan/fitur utama + varian (maks. 100 karakter).",
        "Deskripsi memuat ukuran (tabel), bahan, cara perawatan, isi paket dan garansi.",
        "Berat dan dimensi paket diisi sesuai hasil timbang, supaya ongkir tidak selisih.",
        "Setiap ganti foto atau deskripsi, catat di Laporan > Catatan perubahan.",
    ], []),
    ("pre_sale", "harga-margin", "Harga jual dan margin", [OWNER, FINANCE], [
        "HPP diisi per varian setiap ada pembelian stok baru (harga beli + ongkir masuk).",
        "Harga jual per kanal dihitung dari HPP + komisi marketplace + biaya kemasan + target margin 20%.",
        "Harga promo tidak boleh membuat margin kotor di bawah 5%; cek di Laporan > Laba.",
        "Perubahan harga dicatat di Laporan > Catatan perubahan beserta alasannya.",
    ], []),
    ("pre_sale", "stok-kanal", "Stok dan sinkron ke semua kanal", [WAREHOUSE, ADMIN], [
        "Barang masuk dicatat hari itu juga lewat Katalog > Stok (penerimaan barang).",
        "Stok opname mingguan untuk 20 SKU terlaris, bulanan untuk semua SKU.",
        "Pastikan sinkron stok ke marketplace berjalan (tidak ada kanal berstatus gagal).",
        "SKU dengan sisa stok di bawah batas minimum dilaporkan ke Owner untuk dibeli ulang.",
    ], []),
    ("pre_sale", "promosi", "Rencana promosi dan konten", [OWNER, ADMIN], [
        "Kalender promosi bulanan mengikuti tanggal kembar (mis. 11.11, 12.12) dan gajian (25-5).",
        "Anggaran iklan per kanal ditetapkan di awal bulan dan dicatat di Laporan > Kunjungan & biaya iklan.",
        "Konten Instagram/TikTok minimal 3 kali seminggu, selalu dengan tautan toko.",
    ], []),
    ("pre_sale", "chat-calon-pembeli", "Menjawab calon pembeli", [CS], [
        "Chat dan komentar calon pembeli dibalas dalam 15 menit pada jam kerja.",
        "Jawab dengan sopan, pakai sapaan Kak, sebutkan stok dan estimasi tiba.",
        "Tawarkan produk pelengkap atau varian lain bila stok yang diminta habis.",
    ], []),
    ("sale", "konfirmasi-pesanan", "Konfirmasi pesanan baru", [CS], [
        "Cek antrean 'Pesanan baru untuk dikonfirmasi' setiap jam kerja dimulai dan setiap 30 menit.",
        "Pesanan yang sudah dibayar (atau COD) dikonfirmasi paling lambat 1 jam kerja setelah masuk.",
        "Periksa alamat dan nomor HP; bila kurang lengkap, hubungi pembeli sebelum konfirmasi.",
        "Pesanan dengan SKU tidak dikenal atau stok kurang diselesaikan di antrean 'Oversold' hari itu juga.",
    ], [("order_confirm", Decimal("1"), Decimal("95"))]),
    ("sale", "verifikasi-transfer", "Verifikasi pembayaran transfer", [FINANCE], [
        "Bukti transfer dicek terhadap mutasi rekening, bukan hanya foto bukti.",
        "Bukti transfer diverifikasi paling lambat 2 jam kerja setelah diunggah pembeli.",
        "Nominal harus sama dengan total + kode unik; selisih dicatat dan dikonfirmasi ke pembeli.",
        "Mutasi bank diimpor minimal dua kali sehari (pukul 10.00 dan 15.00).",
    ], [("payment_verify", Decimal("2"), Decimal("95"))]),
    ("sale", "ambil-kemas", "Ambil dan kemas barang", [WAREHOUSE], [
        "Cetak daftar ambil (pick list) dua kali sehari: pukul 09.00 dan 13.00.",
        "Scan setiap barang saat dikemas; barang salah atau lebih ditolak sistem.",
        "Kemasan: plastik + bubble wrap untuk barang pecah belah, kardus untuk di atas 1 kg.",
        "Foto paket yang sudah dikemas beserta resi untuk bukti bila ada komplain.",
    ], []),
    ("sale", "kirim-tepat-waktu", "Kirim sebelum batas waktu", [WAREHOUSE], [
        "Pesanan dibayar sebelum pukul 15.00 dikirim hari itu; setelahnya hari kerja berikutnya.",
        "Batas kirim marketplace (ship-by) tidak boleh terlewat: cek antrean 'Akan terlambat' setiap pukul 14.00.",
        "Serah terima ke kurir dengan scan resi ke manifest, ditandatangani kurir.",
    ], [("ship_by", Decimal("0"), Decimal("97"))]),
    ("sale", "resi-info", "Resi dan informasi ke pembeli", [WAREHOUSE, CS], [
        "Resi diinput atau di-scan di hari yang sama dengan pengiriman.",
        "Pembeli dari kanal sendiri dikirimi tautan lacak pesanan lewat WhatsApp/e-mail.",
    ], []),
    ("sale", "pesanan-cod", "Pesanan COD", [CS, WAREHOUSE], [
        "Pesanan COD di atas Rp 500.000 dikonfirmasi lewat telepon/WhatsApp sebelum dikemas.",
        "Pembeli dengan riwayat COD ditolak (RTS) lebih dari sekali ditawari transfer saja.",
    ], []),
    ("post_sale", "pantau-pengiriman", "Pantau pengiriman sampai diterima", [CS], [
        "Cek paket tanpa pembaruan pelacakan lebih dari 3 hari setiap pagi dan hubungi kurir.",
        "Paket gagal kirim: hubungi pembeli hari itu juga untuk jadwal ulang.",
    ], []),
    ("post_sale", "tanggapi-keluhan", "Tanggapi keluhan pembeli", [CS], [
        "Setiap keluhan dibalas pertama kali paling lambat 1 jam kerja.",
        "Minta foto/video unboxing, mohon maaf dan jelaskan langkah berikutnya.",
        "Catat kategori keluhan (terlambat, rusak, salah kirim, kurang, kualitas).",
    ], [("complaint_first_reply", Decimal("1"), Decimal("90"))]),
    ("post_sale", "selesaikan-keluhan", "Selesaikan keluhan", [CS, OWNER], [
        "Keluhan diselesaikan paling lambat 3 hari kerja: refund, kirim ulang, atau penjelasan.",
        "Keputusan refund di atas Rp 300.000 disetujui Owner.",
    ], [("complaint_resolve", Decimal("3"), Decimal("90"))]),
    ("post_sale", "retur-garansi", "Retur dan garansi", [CS, WAREHOUSE, FINANCE], [
        "Retur diterima dalam 7 hari sejak barang diterima, minimal 2 hari kerja sesuai PP 80/2019.",
        "Gudang memeriksa barang retur: layak jual kembali masuk stok, rusak dicatat sebagai penghapusan.",
        "Refund diproses Finance paling lambat 2 hari kerja setelah barang retur diperiksa.",
    ], []),
    ("post_sale", "minta-ulasan", "Minta ulasan setelah diterima", [CS], [
        "Dua hari setelah paket diterima, kirim pesan terima kasih dan minta ulasan.",
        "Ulasan bintang 1-2 ditindaklanjuti sebagai keluhan.",
        "Balas semua ulasan di marketplace dalam 2 hari.",
    ], [("review_request", Decimal("2"), Decimal("90"))]),
    ("post_sale", "pelanggan-setia", "Pelanggan setia dan win-back", [OWNER, ADMIN], [
        "Setiap bulan kirim voucher khusus ke segmen Champions dan Loyal.",
        "Pelanggan di daftar 'Risiko berhenti' dihubungi dengan penawaran win-back (dengan persetujuan mereka).",
    ], []),
    ("monitoring", "cek-harian", "Cek dasbor harian", [OWNER, ADMIN], [
        "Setiap pagi buka halaman Hari ini: antrean kerja, penjualan kemarin dan bulan berjalan.",
        "Antrean yang menumpuk lebih dari setengah hari dibahas dengan staf terkait.",
    ], []),
    ("monitoring", "evaluasi-mingguan", "Evaluasi mingguan KPI dan kepatuhan SOP", [OWNER], [
        "Senin pagi baca e-mail ringkasan kepatuhan SOP: tiga langkah terburuk dan pelanggarannya.",
        "Bahas pelanggaran dengan staf yang bersangkutan; perbaiki SOP bila penyebabnya prosedur.",
        "Bandingkan penjualan, konversi dan margin dengan minggu lalu per kanal.",
    ], []),
    ("monitoring", "laporan-bulanan", "Laporan bulanan dan laba", [OWNER, FINANCE], [
        "Tanggal 1-3 setiap bulan cetak laporan bulanan (PDF) dan arsipkan.",
        "Periksa pesanan rugi, produk margin terendah dan stok mati; putuskan tindakan.",
        "Hitung CAC dan ROAS per kanal dari biaya iklan bulan lalu.",
    ], []),
    ("monitoring", "kunjungan-iklan", "Catat kunjungan dan biaya iklan", [ADMIN], [
        "Setiap hari catat jumlah pengunjung per kanal dari seller center (atau impor CSV mingguan).",
        "Biaya iklan dan voucher yang ditanggung toko dicatat per kanal per bulan.",
    ], []),
    ("monitoring", "catatan-perubahan", "Catat perubahan dan ukur dampaknya", [OWNER, ADMIN], [
        "Setiap perubahan harga, foto, promosi atau kanal baru dicatat dengan tanggalnya.",
        "Setelah 14 hari bandingkan kunjungan, konversi dan penjualan sebelum dan sesudah.",
        "Perubahan yang tidak membantu dikembalikan atau diganti.",
    ], []),
    ("monitoring", "revisi-sop", "Revisi SOP dan pelatihan staf", [OWNER], [
        "SOP direvisi bila evaluasi menunjukkan prosedur penyebab masalah; tulis apa yang berubah dan alasannya.",
        "Staf wajib membaca dan menyetujui versi baru; staf baru menyelesaikan onboarding dan kuis tiap tahap.",
    ], []),
]

QUIZ = [
    ("pre_sale", "Berapa foto minimal untuk setiap produk?", ["2", "3", "5", "10"], 2, "foto-deskripsi"),
    ("pre_sale", "Kapan HPP varian harus diperbarui?", ["Setiap akhir tahun", "Setiap ada pembelian stok baru",
                                                        "Saat ada promo", "Tidak perlu"], 1, "harga-margin"),
    ("pre_sale", "Chat calon pembeli dibalas paling lambat...", ["15 menit pada jam kerja", "1 hari", "3 jam",
                                                                 "Saat sempat"], 0, "chat-calon-pembeli"),
    ("sale", "Pesanan yang sudah dibayar harus dikonfirmasi paling lambat...", ["1 jam kerja", "1 hari", "3 hari",
                                                                               "Sebelum dikirim"], 0,
     "konfirmasi-pesanan"),
    ("sale", "Bukti transfer dicek terhadap...", ["Foto bukti saja", "Mutasi rekening", "Pengakuan pembeli",
                                                  "Nama pengirim"], 1, "verifikasi-transfer"),
    ("sale", "Pesanan dibayar pukul 16.00 di hari kerja dikirim...", ["Hari itu juga", "Hari kerja berikutnya",
                                                                      "Dua hari lagi", "Minggu depan"], 1,
     "kirim-tepat-waktu"),
    ("post_sale", "Keluhan pembeli dibalas pertama kali paling lambat...", ["1 jam kerja", "1 hari", "3 hari kerja",
                                                                            "1 minggu"], 0, "tanggapi-keluhan"),
    ("post_sale", "Batas waktu retur minimal menurut PP 80/2019 adalah...", ["1 hari", "2 hari kerja", "30 hari",
                                                                             "Tidak ada"], 1, "retur-garansi"),
    ("post_sale", "Ulasan bintang 1-2 diperlakukan sebagai...", ["Diabaikan", "Keluhan", "Dihapus", "Promosi"], 1,
     "minta-ulasan"),
    ("monitoring", "Ringkasan kepatuhan SOP dikirim ke Owner setiap...", ["Hari", "Senin", "Akhir bulan", "Tahun"], 1,
     "evaluasi-mingguan"),
    ("monitoring", "Dampak sebuah perubahan dibandingkan setelah...", ["1 hari", "14 hari", "1 tahun", "Tidak perlu"],
     1, "catatan-perubahan"),
    ("monitoring", "Laporan bulanan dicetak pada tanggal...", ["1-3", "15", "25", "Kapan saja"], 0, "laporan-bulanan"),
]


def handbook_load() -> tuple[int, int, int]:
    """Create the steps, targets and questions that are missing (idempotent); returns what was created."""
    from sop.models import QuizQuestion, Step
    from sop.services import step_create, target_set

    created_steps = created_targets = created_questions = 0
    with transaction.atomic():
        existing = set(Step.objects.values_list("code", flat=True))
        for position, (stage, code, title, roles, lines, targets) in enumerate(STEPS):
            if code in existing:
                continue
            step = step_create(stage=stage, code=code, title=title, body="\n".join(lines), roles=roles,
                               position=position)
            created_steps += 1
            for metric, threshold, goal in targets:
                target_set(step_id=step.pk, metric=metric, threshold=threshold, goal_percent=goal)
                created_targets += 1
        if not QuizQuestion.objects.exists():
            steps = dict(Step.objects.values_list("code", "pk"))
            QuizQuestion.objects.bulk_create([
                QuizQuestion(stage=stage, position=i, text=text, choices=choices, correct_index=correct,
                             step_id=steps.get(code))
                for i, (stage, text, choices, correct, code) in enumerate(QUIZ)
            ])
            created_questions = len(QUIZ)
    return created_steps, created_targets, created_questions
