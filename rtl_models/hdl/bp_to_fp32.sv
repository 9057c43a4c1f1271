// sign * mag * 2^lsb_exp (plus a sticky bit below mag's LSB) rounded once to FP32: round
// to nearest even, FP32 subnormals, overflow to infinity; NaN/inf flags override.
// A zero magnitude gives a zero with the given sign.
module bp_to_fp32 #(
    parameter int MW = 64,  // magnitude bits
    parameter int EW = 12   // signed exponent bits of lsb_exp
) (
    input  logic                 sign,
    input  logic [MW-1:0]        mag,
    input  logic                 sticky,
    input  logic signed [EW-1:0] lsb_exp,
    input  logic                 nan,
    input  logic                 inf,
    output logic [31:0]          result
);
  localparam int IW = (EW > 10 ? EW : 10) + 2;  // internal exponent arithmetic
  localparam int KW = (MW + 1 > 25) ? MW + 1 : 25;
  localparam int PW = $clog2(MW + 1);
  localparam logic signed [IW-1:0] EMIN = -126;
  localparam logic signed [IW-1:0] FRAC = 23;
  localparam logic signed [IW-1:0] BIAS_SHIFT = 150;  // biased exponent of a 2^q quantum
  localparam logic signed [IW-1:0] EXP_INF = 255;
  localparam logic signed [IW-1:0] MAX_SHIFT = IW'(MW + 1);

  logic [KW-1:0] m, lost_mask;
  // Only kept[24:0] can be non-zero after the shift (lead <= q + 23); the rest is width.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [KW-1:0] kept;
  /* verilator lint_on UNUSEDSIGNAL */
  logic signed [IW-1:0] lsb, lead, q, r;
  logic [PW-1:0] pos;
  logic round_bit, rest;
  logic [24:0] n;
  logic signed [IW-1:0] biased;

  always @* begin
    m = KW'({mag, sticky});  // the sticky bit sits one place below mag's LSB
    lsb = IW'(lsb_exp) - IW'(1);
    pos = '0;
    for (int i = 0; i <= MW; i++) begin
      if (m[i]) pos = PW'(i);
    end
    lead = lsb + IW'(pos);
    q = ((lead > EMIN) ? lead : EMIN) - FRAC;
    r = q - lsb;  // right shift that puts the quantum 2^q at bit 0
    kept = '0;
    round_bit = 1'b0;
    rest = 1'b0;
    lost_mask = '0;
    if (r <= 0) begin
      kept = m << (-r);  // exact: lead <= q + 23
    end else if (r <= MAX_SHIFT) begin
      kept = m >> r;
      round_bit = m[r-1];
      lost_mask = ~({KW{1'b1}} << (r - 1));
      rest = |(m & lost_mask);
    end
    n = 25'(kept) + {24'd0, round_bit & (rest | kept[0])};
    if (n[24]) begin
      n = n >> 1;
      q = q + IW'(1);
    end
    biased = n[23] ? q + BIAS_SHIFT : '0;
    if (nan) result = 32'h7fc00000;
    else if (inf || biased >= EXP_INF) result = {sign, 8'hff, 23'h0};
    else result = {sign, biased[7:0], n[22:0]};
  end
endmodule
