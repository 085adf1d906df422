/* sr_codec_grammar.c: the grammar of an activation codec pipeline as a table (sr_codec.h), for `simrun list
 * codecs` and the docs. Each row's example is parsed by sr_codec_create in tests/codec/test_codec_grammar.c,
 * so the table cannot drift from the parser. */
#include "sr_codec.h"

static const sr_codec_stage_doc k_grammar[] = {
    {"transform", "raw", "no transform; `raw` alone sends the fp32 activation bit-exact", "raw"},
    {"transform", "dct8 | dct<B>", "2-D DCT of each channel in B x B blocks", "dct8+quant6+huffman"},
    {"transform", "dct", "2-D DCT of each whole channel", "dct+quant8+rans"},
    {"transform", "klt | klt<K>", "Karhunen-Loeve transform across channels, keeping K components",
     "klt+quant8+rans"},
    {"transform", "klt.key",
     "inside inter(...): fit the KLT basis on key frames only, reuse it on the others",
     "inter(klt.key+quant8+rans,key=8)"},
    {"quantizer", "quant<b>[.pc][.clip<P>]",
     "uniform, b = 1..16 bits, per tensor or per channel (.pc), over min..max or the [100-P, P] percentiles",
     "quant8.pc.clip99"},
    {"quantizer", "lloyd<b>[.pc]", "Lloyd-Max quantizer, b = 1..12 bits", "lloyd4+huffman"},
    {"quantizer", "mulaw<b>[.pc][.mu<M>]", "mu-law companding (default mu 255), then uniform",
     "mulaw6.mu100+rans"},
    {"zrle", "zrle", "zero-run coding of the quantized symbols (needs a quantizer)", "quant8+zrle+rans"},
    {"entropy", "huffman | rans | zstd[<L>]",
     "entropy coder of the symbols (needs a quantizer; without one the symbols are bit-packed)",
     "quant4+zstd19"},
    {"inter", "inter(<pipeline>,key=K)",
     "every K-th frame (and the first) is a key frame, the others the residual against the previous"
     " reconstruction",
     "inter(quant8+rans,key=10)"},
};

int sr_codec_grammar_count(void)
{
    return (int)(sizeof k_grammar / sizeof k_grammar[0]);
}

const sr_codec_stage_doc *sr_codec_grammar_at(int i)
{
    return i >= 0 && i < sr_codec_grammar_count() ? &k_grammar[i] : 0;
}
