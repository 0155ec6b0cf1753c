/*
 * Storm worm (Nuwar, Zhelatin, Peacomm) — content rules for mamori scan.
 *
 * Sources:
 *  - Emerging Threats Open sid 2007742 "ET USER_AGENTS Storm C&C with
 *    typo'd User-Agent (Windoss)", reference doc.emergingthreats.net/2007742, and
 *    public Storm analyses noting the bot's HTTP User-Agent with the typo
 *    "Windoss": "Mozilla/4.0 (compatible; MSIE 6.0; Windoss NT 5.1 ...)";
 *    see ../shared/DESIGN.md (family table) and
 *    https://www.secureworks.com/research/storm-worm (J. Stewart, 2007).
 *
 * The typo'd agent string inside a PE is what the bot sends; legitimate
 * software never carries it.
 */
rule storm_typo_user_agent
{
    meta:
        family = "storm"
        indicator = "storm.yara.user_agent"
        severity = "high"
        source = "ET Open sid 2007742 Storm C&C with typo'd User-Agent (Windoss), doc.emergingthreats.net/2007742"
    strings:
        $ua = "MSIE 6.0; Windoss NT 5.1" ascii wide nocase
    condition:
        uint16(0) == 0x5A4D and $ua
}
