/*
 * Flame (sKyWIper, Flamer) — content rules for mamori scan.
 *
 * Sources:
 *  - CrySyS Lab, "sKyWIper (a.k.a. Flame a.k.a. Flamer): A complex malware
 *    for targeted attacks", v1.05, 31 May 2012,
 *    https://www.crysys.hu/publications/files/skywiper.pdf
 *    (module names, the TH_POOL_SHD_ mutex family, XOR-obfuscated strings)
 *  - Kaspersky Lab / Securelist, "The Flame: Questions and Answers", 2012,
 *    https://securelist.com/the-flame-questions-and-answers/34344/
 *
 * The rules key on structure, not on a sample hash: the mutex-name format
 * string (ASCII or UTF-16), and Flame's module file names stored XOR-ed
 * with the single byte 0xAE, both inside PE files (so reports and rule
 * files quoting the strings do not match).  Metadata read by mamori: family, indicator,
 * severity, source.
 */
rule flame_mutex_string
{
    meta:
        family = "flame"
        indicator = "flame.yara.mutex"
        severity = "high"
        source = "CrySyS sKyWIper report (2012), mutex TH_POOL_SHD_PQOISNG_#PID#SYNCMTX"
    strings:
        $mtx = "TH_POOL_SHD_PQOISNG_" ascii wide
        $mtx_fmt = "TH_POOL_SHD_PQOISNG_%dSYNCMTX" ascii wide
    condition:
        uint16(0) == 0x5A4D and any of them
}

rule flame_xor_module_names
{
    meta:
        family = "flame"
        indicator = "flame.yara.xor_module_name"
        severity = "high"
        source = "CrySyS sKyWIper report (2012): module names mssecmgr.ocx, advnetcfg.ocx, msglu32.ocx, nteps32.ocx, soapr32.ocx; strings XOR 0xAE"
    strings:
        $m1 = "mssecmgr.ocx" xor(0xAE)
        $m2 = "advnetcfg.ocx" xor(0xAE)
        $m3 = "msglu32.ocx" xor(0xAE)
        $m4 = "nteps32.ocx" xor(0xAE)
        $m5 = "soapr32.ocx" xor(0xAE)
        $m6 = "boot32drv.sys" xor(0xAE)
        $m7 = "ccalc32.sys" xor(0xAE)
    condition:
        uint16(0) == 0x5A4D and any of them
}
