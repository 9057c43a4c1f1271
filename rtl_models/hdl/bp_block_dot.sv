// Block-scaled dot product: X_A * X_B * sum_{i<K} P_A,i * P_B,i rounded to FP32 (RNE).
//
// Elements: one MX/NV element format (W bits: EXP_BITS/MAN_BITS/BIAS/NAN_ENC, or IS_INT
// with FRAC fraction bits). Scales: SCALE=0 E8M0 (2^(x-127), 0xFF = NaN), SCALE=1 ue4m3
// (sign ignored, 0x7F magnitude = NaN). Accumulator:
//   ACC=0: exact sum of the exact products, rounded once (with the scales) to FP32;
//   ACC=1: each product cut toward zero to WIN fraction bits below the largest product
//          exponent, the cut terms summed exactly, the sum cut toward zero to 24
//          significant bits, then scaled and rounded to FP32 (floats only; needs
//          WIN >= 2 * MAN_BITS).
// NaN (element, scale, inf * 0, or infinities of both signs) gives 0x7fc00000.
module bp_block_dot #(
    parameter int W = 8,
    parameter int EXP_BITS = 4,
    parameter int MAN_BITS = 3,
    parameter int BIAS = 7,
    parameter int NAN_ENC = 1,
    parameter int IS_INT = 0,
    parameter int FRAC = (IS_INT != 0) ? W - 2 : BIAS - 1 + MAN_BITS,
    parameter int K = 32,
    parameter int SCALE = 0,
    parameter int ACC = 0,
    parameter int WIN = 25
) (
    input  logic [K*W-1:0] a,
    input  logic [K*W-1:0] b,
    input  logic [7:0]     xa,
    input  logic [7:0]     xb,
    output logic [31:0]    result
);
  localparam int SW = (IS_INT != 0) ? W : MAN_BITS + 1;
  localparam int XW = (IS_INT != 0) ? 1 : EXP_BITS;
  localparam int FW = (IS_INT != 0) ? W : MAN_BITS + 1 + (1 << EXP_BITS) - 2;
  localparam int PW = 2 * FW + 1;
  localparam int KB = $clog2(K) + 1;
  localparam int EW = 12;

  // ---------------------------------------------------------------- elements
  // The truncating accumulator reads the decoded fields instead of the fixed products.
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [PW-1:0] prod [K];
  /* verilator lint_on UNUSEDSIGNAL */
  logic [K-1:0] neg, nan_e, inf_e;
  genvar gi;
  generate
    for (gi = 0; gi < K; gi++) begin : g_el
      bp_elem_mul #(.WA(W), .EA(EXP_BITS), .MA(MAN_BITS), .NA(NAN_ENC), .IA(IS_INT),
                    .WB(W), .EB(EXP_BITS), .MB(MAN_BITS), .NB(NAN_ENC), .IB(IS_INT)) u_mul (
          .a(a[gi*W +: W]), .b(b[gi*W +: W]), .prod(prod[gi]), .neg(neg[gi]),
          .nan(nan_e[gi]), .inf(inf_e[gi]));
    end
  endgenerate

  logic any_nan, inf_pos, inf_neg;
  assign any_nan = |nan_e;
  assign inf_pos = |(inf_e & ~neg);
  assign inf_neg = |(inf_e & neg);

  // ---------------------------------------------------------------- scales
  logic [7:0] ssig;          // product of the scale significands (1 for E8M0)
  logic signed [EW-1:0] sexp;  // exponent of the scale product's LSB
  logic snan, szero;
  generate
    if (SCALE == 0) begin : g_e8m0
      assign ssig = 8'd1;
      assign sexp = EW'({1'b0, xa}) + EW'({1'b0, xb}) - EW'(254);
      assign snan = (&xa) | (&xb);
      assign szero = 1'b0;
    end else begin : g_ue4m3
      logic [3:0] ga, gb;
      logic [3:0] ka, kb;
      /* verilator lint_off UNUSEDSIGNAL */
      logic ua, ub, isa, isb;  // the scale's sign is ignored and it has no infinity
      /* verilator lint_on UNUSEDSIGNAL */
      logic nsa, nsb;
      bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1), .HAS_SIGN(0)) u_sa (
          .code(xa), .sign(ua), .sig(ga), .shift(ka), .nan(nsa), .inf(isa));
      bp_elem_decode #(.W(8), .EXP_BITS(4), .MAN_BITS(3), .NAN_ENC(1), .HAS_SIGN(0)) u_sb (
          .code(xb), .sign(ub), .sig(gb), .shift(kb), .nan(nsb), .inf(isb));
      assign ssig = ga * gb;
      assign sexp = EW'(ka) + EW'(kb) - EW'(18);
      assign snan = nsa | nsb;
      assign szero = (ga == 4'd0) | (gb == 4'd0);
    end
  endgenerate

  logic nan, inf;
  assign nan = any_nan | snan | (inf_pos & inf_neg) | ((inf_pos | inf_neg) & szero);
  assign inf = inf_pos | inf_neg;

  // ---------------------------------------------------------------- accumulator
  generate
    if (ACC == 0) begin : g_exact
      localparam int SUMW = PW + KB;
      localparam int MW = SUMW - 1 + 8;
      logic signed [SUMW-1:0] sum;
      logic [SUMW-1:0] abs_sum;
      logic [MW-1:0] mag;
      always @* begin
        sum = '0;
        for (int i = 0; i < K; i++) sum = sum + SUMW'(prod[i]);
      end
      assign abs_sum = sum[SUMW-1] ? -sum : sum;
      assign mag = MW'(abs_sum) * MW'(ssig);
      bp_to_fp32 #(.MW(MW), .EW(EW)) u_round (
          .sign(inf ? inf_neg : sum[SUMW-1] & (|mag)), .mag(mag), .sticky(1'b0),
          .lsb_exp(sexp - EW'(2 * FRAC)), .nan(nan), .inf(inf), .result(result));
    end else begin : g_trunc
      localparam int TXW = XW + 1;
      localparam int CW = WIN + 2;           // a cut product: < 4 * 2^WIN
      localparam int TW = CW + KB + 1;
      localparam int PSW = $clog2(TW);
      localparam int MW = TW + 8;
      logic [SW-1:0] sig_a [K];
      logic [SW-1:0] sig_b [K];
      logic [XW-1:0] sh_a [K];
      logic [XW-1:0] sh_b [K];
      for (gi = 0; gi < K; gi++) begin : g_dec
        // The multipliers above supply signs and flags; only the fields are used here.
        /* verilator lint_off UNUSEDSIGNAL */
        logic sa, sb, na, nb, ia, ib;
        /* verilator lint_on UNUSEDSIGNAL */
        bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC))
            u_da (.code(a[gi*W +: W]), .sign(sa), .sig(sig_a[gi]), .shift(sh_a[gi]), .nan(na),
                  .inf(ia));
        bp_elem_decode #(.W(W), .EXP_BITS(EXP_BITS), .MAN_BITS(MAN_BITS), .NAN_ENC(NAN_ENC))
            u_db (.code(b[gi*W +: W]), .sign(sb), .sig(sig_b[gi]), .shift(sh_b[gi]), .nan(nb),
                  .inf(ib));
      end
      logic [TXW-1:0] t [K];
      logic [2*SW-1:0] psig [K];
      logic [TXW-1:0] top;
      logic signed [TW-1:0] total;
      logic [TW-1:0] abs_total, kept;
      logic [PSW-1:0] pos;
      always @* begin
        top = '0;
        for (int i = 0; i < K; i++) begin
          psig[i] = (2*SW)'(sig_a[i]) * (2*SW)'(sig_b[i]);
          t[i] = TXW'(sh_a[i]) + TXW'(sh_b[i]);
          if (psig[i] != '0 && t[i] > top) top = t[i];
        end
        total = '0;
        for (int i = 0; i < K; i++) begin
          logic [CW-1:0] cut;
          cut = (CW'(psig[i]) << (WIN - 2 * MAN_BITS)) >> (top - t[i]);
          total = neg[i] ? total - TW'(cut) : total + TW'(cut);
        end
        abs_total = total[TW-1] ? -total : total;
        pos = '0;
        for (int i = 0; i < TW; i++) if (abs_total[i]) pos = PSW'(i);
        kept = (pos > PSW'(23)) ? abs_total & ({TW{1'b1}} << (pos - PSW'(23))) : abs_total;
      end
      bp_to_fp32 #(.MW(MW), .EW(EW)) u_round (
          .sign(inf ? inf_neg : total[TW-1] & (|ssig)), .mag(MW'(kept) * MW'(ssig)), .sticky(1'b0),
          .lsb_exp(sexp + EW'(top) + EW'(2 - 2 * BIAS - WIN)), .nan(nan), .inf(inf),
          .result(result));
    end
  endgenerate
endmodule
