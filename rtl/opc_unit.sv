// Output peripheral component (OPC) of one tile: shift-and-add of converted column values over
// input slices and weight planes, sign inversion of flipped planes and of the negative array,
// accumulated into signed partial sums. Synthesizable SystemVerilog (IEEE 1800-2017).
//
// Arithmetic (docs/design.md, core/datapath.h opc_accumulate): every converted value v of a bit
// column enters with its place value 2^shift and a sign, where
//   shift = k * dac.bits + slice * cell_bits            (input slice k, weight slice of the column)
//   neg   = sign slice of a signed input XOR negative array XOR flipped plane
// and the OPC adds  term = (neg ? -1 : 1) * (v << shift)  into the accumulator at in_addr_i.
// The caller (the transactor in rtl/cosim.cpp) chooses the addresses: one accumulator per
// output for the plain (unvoted) planes and one per output and candidate for the voted planes.
//
// Operations (in_op_i):
//   OP_ACC  (0)  acc[addr] <= sat(acc[addr] + term)
//   OP_LOAD (1)  acc[addr] <= sat(term)          first term of an accumulator: no clearing pass
//   OP_READ (2)  emit acc[addr] and its saturation flag on the output; the value stays
// Accumulators are ACC_W-bit two's complement and saturate to [-2^(ACC_W-1), 2^(ACC_W-1)-1];
// a per-accumulator sticky flag records that a saturation happened since its OP_LOAD. A chip
// whose partial sums fit in ACC_W bits never saturates, so a set flag means ACC_W is too narrow.
//
// Microarchitecture: one stage. The accumulator file has a combinational read port and a write
// port, so an operation sees every earlier one (no hazard between back-to-back operations on
// one address). Latency 1 cycle (an OP_READ's data is valid the cycle after its handshake; an
// OP_ACC is visible to the next operation), initiation interval 1.
//
// Handshake: valid/ready on both sides; a beat moves when valid and ready are both high at a
// rising edge. in_ready_o is low only while an OP_READ result waits for out_ready_i.
//
// Reset: rst_ni is active low and synchronous; it clears the output register's valid bit. The
// accumulator file carries no reset: OP_LOAD starts each accumulator.
module opc_unit #(
    parameter int VAL_W   = 24,  // converted column value, unsigned, bits
    parameter int SHIFT_W = 5,   // place-value exponent, bits (shifts up to 2^SHIFT_W - 1)
    parameter int ACC_W   = 48,  // accumulator, signed, bits
    parameter int ADDR_W  = 12   // 2^ADDR_W accumulators
) (
    input  logic              clk_i,
    input  logic              rst_ni,
    input  logic              in_valid_i,
    output logic              in_ready_o,
    input  logic [       1:0] in_op_i,
    input  logic [ VAL_W-1:0] in_val_i,
    input  logic [SHIFT_W-1:0] in_shift_i,
    input  logic              in_neg_i,
    input  logic [ADDR_W-1:0] in_addr_i,
    output logic              out_valid_o,
    input  logic              out_ready_i,
    output logic [ ACC_W-1:0] out_acc_o,
    output logic              out_sat_o,
    output logic [ADDR_W-1:0] out_addr_o
);

  localparam logic [1:0] OP_ACC = 2'd0, OP_LOAD = 2'd1, OP_READ = 2'd2;
  localparam int TERM_W = VAL_W + (1 << SHIFT_W) - 1;  // magnitude of v << shift
  localparam int SUM_W = ((TERM_W + 1 > ACC_W) ? TERM_W + 1 : ACC_W) + 1;
  localparam logic signed [SUM_W-1:0] MAX = {{(SUM_W - ACC_W + 1) {1'b0}}, {(ACC_W - 1) {1'b1}}};
  localparam logic signed [SUM_W-1:0] MIN = {{(SUM_W - ACC_W + 1) {1'b1}}, {(ACC_W - 1) {1'b0}}};

  logic [ACC_W-1:0] acc_q[2**ADDR_W];
  logic             sat_q[2**ADDR_W];
  logic             out_valid_q, out_sat_q;
  logic [ACC_W-1:0] out_acc_q;
  logic [ADDR_W-1:0] out_addr_q;

  wire fire = in_valid_i && in_ready_o;
  assign in_ready_o = !out_valid_q || out_ready_i;

  // term, the old value (0 for OP_LOAD), their sum in SUM_W bits, and the saturated result.
  logic signed [SUM_W-1:0] term, old, sum;
  logic signed [ACC_W-1:0] next;
  logic                    clamp;
  always_comb begin
    term = signed'(SUM_W'(in_val_i) << in_shift_i);
    if (in_neg_i) term = -term;
    old   = (in_op_i == OP_LOAD) ? '0 : SUM_W'(signed'(acc_q[in_addr_i]));
    sum   = old + term;
    clamp = sum > MAX || sum < MIN;
    next  = sum > MAX ? MAX[ACC_W-1:0] : sum < MIN ? MIN[ACC_W-1:0] : sum[ACC_W-1:0];
  end

  always_ff @(posedge clk_i)
    if (fire && (in_op_i == OP_ACC || in_op_i == OP_LOAD)) begin
      acc_q[in_addr_i] <= next;
      sat_q[in_addr_i] <= clamp || (in_op_i == OP_ACC && sat_q[in_addr_i]);
    end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) out_valid_q <= 1'b0;
    else if (fire && in_op_i == OP_READ) out_valid_q <= 1'b1;
    else if (out_ready_i) out_valid_q <= 1'b0;
  end

  always_ff @(posedge clk_i)
    if (fire && in_op_i == OP_READ) begin
      out_acc_q  <= acc_q[in_addr_i];
      out_sat_q  <= sat_q[in_addr_i];
      out_addr_q <= in_addr_i;
    end

  assign out_valid_o = out_valid_q;
  assign out_acc_o   = out_acc_q;
  assign out_sat_o   = out_sat_q;
  assign out_addr_o  = out_addr_q;

endmodule
