// LUT unit in the style of LUT-LLM (FPGA, 2D table lookups): P table banks, one per
// input-vector position; bank p holds A rows (activation centroids) of WC entries
// (weight centroids), each an EB-bit unsigned dot product of the two centroids. A lookup
// gives every bank its activation-centroid index and, per output n, a weight-centroid
// index; output n is the exact sum over the banks,
//   out[n] = sum_p T[p][a_idx[p]][w_idx[p][n]],   EB + log2(P) bits, unsigned,
// registered (one cycle). The affine step back to real values (one scale and offset per
// output block, see numerics.vq.lut_matmul) follows outside the unit. Rows are written
// one per cycle (we); a lookup reads the rows as written by earlier cycles.
module bp_lut_unit #(
    parameter int P = 4,    // banks (input-vector positions)
    parameter int A = 64,   // rows a bank (activation centroids)
    parameter int WC = 16,  // entries a row (weight centroids)
    parameter int N = 4,    // outputs a lookup
    parameter int EB = 8,   // bits an entry
    parameter int PB = $clog2(P),
    parameter int AB = $clog2(A),
    parameter int WB = $clog2(WC),
    parameter int OW = EB + $clog2(P)
) (
    input  logic              clk,
    input  logic              we,
    input  logic [PB-1:0]     wbank,
    input  logic [AB-1:0]     wrow,
    input  logic [WC*EB-1:0]  wdata,
    input  logic              lookup,
    input  logic [P*AB-1:0]   a_idx,   // bank p: a_idx[p*AB +: AB]
    input  logic [P*N*WB-1:0] w_idx,   // bank p, output n: w_idx[(p*N+n)*WB +: WB]
    output logic              out_valid,
    output logic [N*OW-1:0]   out      // output n: out[n*OW +: OW]
);
  logic [WC*EB-1:0] rows [P*A];  // bank p, row a at p*A + a
  logic [WC*EB-1:0] row;
  logic [N*OW-1:0] sums;

  always @* begin : lookup_sum
    sums = '0;
    for (int p = 0; p < P; p++) begin
      row = rows[p * A + int'(a_idx[p*AB +: AB])];
      for (int n = 0; n < N; n++)
        sums[n*OW +: OW] = sums[n*OW +: OW] + OW'(row[int'(w_idx[(p*N+n)*WB +: WB]) * EB +: EB]);
    end
  end

  always_ff @(posedge clk) begin
    if (we) rows[int'(wbank) * A + int'(wrow)] <= wdata;
    out_valid <= lookup;
    if (lookup) out <= sums;
  end
endmodule
