/*
 * Conficker (Downadup, WORM_DOWNAD) — content rules for mamori scan.
 *
 * Sources:
 *  - Microsoft Malware Protection Center, "Worm:Win32/Conficker.B"
 *    encyclopedia entry (2009): autorun.inf padded with junk whose
 *    shellexecute runs "RUNDLL32.EXE .\RECYCLER\S-5-3-42-...\<name>.vmx,<entry>"
 *    https://www.microsoft.com/en-us/wdsi/threats/malware-encyclopedia-description?Name=Worm:Win32/Conficker.B
 *  - SRI International, P. Porras, H. Saidi, V. Yegneswaran, "An Analysis
 *    of Conficker's Logic and Rendezvous Points" (2009),
 *    http://mtc.sri.com/Conficker/
 *
 * The autorun rule matches the command shape (rundll32 on a file under
 * RECYCLER\S-...), whatever junk surrounds it.
 */
rule conficker_autorun_command
{
    meta:
        family = "conficker"
        indicator = "conficker.yara.autorun_command"
        severity = "high"
        source = "Microsoft MMPC Worm:Win32/Conficker.B: shellexecute=RUNDLL32.EXE .\\RECYCLER\\S-...\\x.vmx,entry"
    strings:
        $cmd = /(open|shellexecute|command)[ \t]*=[ \t]*rundll32(\.exe)?[ \t]+\.?\\?recycler\\s-[0-9-]{5,80}\\[^\\,\r\n]{1,64},[a-z0-9_]{1,64}/ nocase
    condition:
        $cmd
}
