// Quotes in integer cents (money never goes through floats except the rate's power, rounded once).

export interface Product {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  maxInstallments: number;
  monthlyRateBp: number;
  minAmountCents: number;
  maxAmountCents: number;
}

export interface QuoteRequest {
  productId: string;
  quantity: number;
  installments: number;
}

export interface Quote extends QuoteRequest {
  currency: string;
  amountCents: number;
  monthlyRatePercent: number;
  installmentCents: number;
  totalCents: number;
  feesCents: number;
}

/** Terms the product cannot be sold on; `field` names the request field at fault. */
export class ImpossibleTermsError extends Error {
  constructor(
    readonly field: keyof QuoteRequest,
    message: string,
  ) {
    super(message);
    this.name = 'ImpossibleTermsError';
  }
}

/** Price (French amortization) of `quantity` units in `installments` monthly payments. */
export function quote(product: Product, req: QuoteRequest): Quote {
  const amountCents = product.priceCents * req.quantity;
  if (amountCents < product.minAmountCents || amountCents > product.maxAmountCents) {
    throw new ImpossibleTermsError(
      'quantity',
      `amount ${amountCents} cents is outside the product's limits (${product.minAmountCents}-${product.maxAmountCents})`,
    );
  }
  if (req.installments > product.maxInstallments) {
    throw new ImpossibleTermsError('installments', `at most ${product.maxInstallments} installments for ${product.productId}`);
  }
  const r = product.monthlyRateBp / 10_000;
  const n = req.installments;
  const installmentCents = r === 0 || n === 1 ? Math.ceil(amountCents / n) : Math.ceil((amountCents * r) / (1 - (1 + r) ** -n));
  const totalCents = installmentCents * n;
  return {
    ...req,
    currency: product.currency,
    amountCents,
    monthlyRatePercent: product.monthlyRateBp / 100,
    installmentCents,
    totalCents,
    feesCents: totalCents - amountCents,
  };
}
