// A sub-block of ivf_dot (ivf_dot.sv describes the datapath and its arithmetic).
// One lane's aligner: exponent subtract and a right shift into the N-bit window (truncating).
module ivf_align #(
    parameter int MW = 8,
    parameter int TW = 5,
    parameter int N = 24
) (
    input  logic [MW-1:0] mag,
    input  logic [TW-1:0] t,
    input  logic [TW-1:0] top,
    output logic [N-1:0]  aligned
);
  logic [TW-1:0] diff;
  assign diff = top - t;
  assign aligned = (N'(mag) << (N - MW)) >> diff;
endmodule
